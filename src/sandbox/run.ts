import { generateKeyPair, type KeyObject, randomUUID } from 'node:crypto';
import { parseArgs, promisify } from 'node:util';
import { type ClaimsStore, createClaimsStore } from '../claims/store.js';
import { loadConfig } from '../gateway/config.js';
import { type RunningGateway, startGateway } from '../gateway/server.js';
import { createLogger } from '../log.js';
import { systemUserIdFor } from '../testing/jws.js';
import { AltinnRecords, SMARTREGNSKAP_SCOPES, seedRecords } from './altinn/records.js';
import { PDP_SCOPE, type SandboxAltinn, startSandboxAltinn } from './altinn/server.js';
import { ACCOUNTING_FIRM, SERVICE_OWNER, STANDARD_USERS, VENDOR } from './cast.js';
import { type SandboxMaskinporten, startSandboxMaskinporten } from './maskinporten.js';
import { DEFAULT_MASKINPORTEN_URL } from './token-command.js';

export interface Sandbox {
  /** `http://127.0.0.1:<port>` of each part. */
  readonly gatewayUrl: string;
  readonly maskinportenIssuer: string;
  readonly altinnUrl: string;
  close(): Promise<void>;
}

const API = '/api/innkreving/kravogbetalinger/v1';
/** Sandbox access tokens live longer than Maskinporten's usual 120 s, so pasted commands keep working. */
const ACCESS_TOKEN_SECONDS = 3600;

/** Skatteetaten's Maskinporten client for its PEP (the gateway's own calls to the PDP). */
const PEP_CLIENT = { clientId: 'skatteetaten-portvakt-pep' };

/**
 * Makes the PEP's key pair and registers the public half with the sandbox Maskinporten, as a service
 * owner does in Samarbeidsportalen. The private key stays in this process's memory.
 */
async function registerPepKey(
  issuer: string,
  keyPair: Promise<{ publicKey: KeyObject; privateKey: KeyObject }>,
): Promise<{ kid: string; privateKeyPem: string }> {
  const { publicKey, privateKey } = await keyPair;
  const kid = `pep-${randomUUID()}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const res = await fetch(new URL(`clients/${PEP_CLIENT.clientId}/keys`, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [jwk] }),
  });
  await res.arrayBuffer(); // drain it, so the keep-alive connection is free for the next request
  if (!res.ok) throw new SandboxStartError(`could not register the PEP key with Maskinporten (HTTP ${res.status})`);
  return { kid, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export class SandboxStartError extends Error {
  override name = 'SandboxStartError';
}

function port(value: string | undefined, flag: string): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
    throw new SandboxStartError(`--${flag} must be a port number (0-65535), got "${value ?? ''}"`);
  }
  return Number(value);
}

/** Turns EADDRINUSE into one clear line naming the flag that moves it. */
async function listening<T>(what: string, flag: string, portNumber: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new SandboxStartError(`port ${portNumber} (${what}) is in use — pick another with --${flag} <port>`);
    }
    throw err;
  }
}

/**
 * `npm start`: on loopback, the gateway, a local Maskinporten and a local Altinn seeded with the cast
 * of docs/sandbox.md. Keys live in memory only, so `portvakt serve` can never pick them up.
 */
export async function runSandbox(args: string[]): Promise<Sandbox> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      'maskinporten-port': { type: 'string', default: '8081' },
      'altinn-port': { type: 'string', default: '8082' },
      ttl: { type: 'string', default: '5' },
      'allow-http-redirects': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const started = performance.now();
  /** One progress line per stage, so a start is never silent; `--quiet` keeps stdout to the instructions. */
  const say = (line: string) => {
    if (!values.quiet)
      process.stdout.write(`portvakt sandbox: ${line} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  };
  const ports = {
    gateway: port(values.port, 'port'),
    maskinporten: port(values['maskinporten-port'], 'maskinporten-port'),
    altinn: port(values['altinn-port'], 'altinn-port'),
  };
  if (!/^[1-9]\d*$/.test(values.ttl)) throw new SandboxStartError(`--ttl must be a positive number of seconds`);

  const records = new AltinnRecords();
  seedRecords(records);
  const parts: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const part of parts.reverse()) await part.close();
  };
  // Off the main thread and from the start: a 2048-bit RSA key takes up to a second on a busy machine.
  const pepKeyPair = promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  pepKeyPair.catch(() => undefined); // awaited below
  // The embedded database loads on its own thread while the local services start.
  say('opening the embedded claims database');
  const opening: Promise<ClaimsStore> = createClaimsStore();
  opening.catch(() => undefined); // awaited below; a failure there is reported once
  try {
    const maskinporten: SandboxMaskinporten = await listening(
      'Maskinporten',
      'maskinporten-port',
      ports.maskinporten,
      () =>
        startSandboxMaskinporten({
          port: ports.maskinporten,
          accessTokenLifetimeSeconds: ACCESS_TOKEN_SECONDS,
          clients: [
            { clientId: VENDOR.clientId, orgNo: VENDOR.orgNo, scopes: SMARTREGNSKAP_SCOPES },
            { clientId: PEP_CLIENT.clientId, orgNo: SERVICE_OWNER.orgNo, scopes: [PDP_SCOPE] },
          ],
          resolveSystemUser: (lookup) => {
            const found = records.findForToken(lookup);
            return found && { systemUserId: found.user.id, systemId: found.system.id };
          },
        }),
    );
    parts.push(maskinporten);
    say(`Maskinporten listening on ${maskinporten.issuer}`);
    const altinn: SandboxAltinn = await listening('Altinn', 'altinn-port', ports.altinn, () =>
      startSandboxAltinn({
        port: ports.altinn,
        records,
        verifyMaskinportenToken: (token) => maskinporten.verifyAccessToken(token),
        allowHttpLoopbackRedirects: values['allow-http-redirects'],
      }),
    );
    parts.push(altinn);
    say(`Altinn listening on ${altinn.origin}`);
    const pep = await registerPepKey(maskinporten.issuer, pepKeyPair);
    say('gateway keys made and registered with Maskinporten');
    const store = await opening;
    parts.push(store);
    say('claims database ready');
    const config = loadConfig({
      PORT: String(ports.gateway),
      MASKINPORTEN_ISSUER: maskinporten.issuer,
      ALTINN_PDP_URL: altinn.pdpUrl,
      // The gateway calls the PDP as Skatteetaten's PEP does in tt02: its own Maskinporten token, exchanged.
      ALTINN_TOKEN_EXCHANGE_URL: altinn.tokenExchangeUrl,
      PEP_CLIENT_ID: PEP_CLIENT.clientId,
      PEP_KEY_ID: pep.kid,
      PEP_PRIVATE_KEY: pep.privateKeyPem,
      DECISION_CACHE_TTL_SECONDS: values.ttl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const gateway: RunningGateway = await listening('gateway', 'port', ports.gateway, () =>
      startGateway(config, { host: '127.0.0.1', logger: createLogger(config.logLevel), store }),
    );
    parts.push(gateway);
    await gateway.portvakt.loadKeys().catch(() => {});
    say(`gateway listening on ${gateway.url}`);
    process.stdout.write(
      instructions(gateway.url, maskinporten.issuer, altinn.origin, config.portvakt.decisionCache.ttlSeconds),
    );
    return {
      gatewayUrl: gateway.url,
      maskinportenIssuer: maskinporten.issuer,
      altinnUrl: altinn.origin,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    await opening.then((store) => (parts.includes(store) ? undefined : store.close())).catch(() => undefined);
    throw err;
  }
}

function instructions(gatewayUrl: string, issuer: string, altinnUrl: string, ttl: number): string {
  const base = `${gatewayUrl}${API}`;
  const pia = STANDARD_USERS[0]!;
  const other = STANDARD_USERS[1]!;
  const client = ACCOUNTING_FIRM.clients[0]!;
  const status = `-w ' -> %{http_code}\\n'`;
  const env = issuer === DEFAULT_MASKINPORTEN_URL ? '' : `export PORTVAKT_SANDBOX_MASKINPORTEN=${issuer}\n`;
  // Seeded with the kit's deterministic uuid, so the revocation can be printed ready to paste.
  const piaSystemUser = systemUserIdFor(pia.orgNo);
  return `
Portvakt sandbox is up (Ctrl-C stops it)
  gateway       ${gatewayUrl}   (API reference: ${gatewayUrl}/docs)
  Maskinporten  ${issuer}   (SmartRegnskap client ${VENDOR.clientId})
  Altinn        ${altinnUrl}   (PDP, system users, approval page)
  Console       ${altinnUrl}/console   (systems, system users, requests, clients, recent decisions)
  decision cache TTL ${ttl} s

${env}# SmartRegnskap asks Maskinporten for ${pia.name}'s system user (JWT grant), then reads its claims (200):
TOKEN=$(npx portvakt token --org ${pia.orgNo})
curl -s ${status} -H "Authorization: Bearer $TOKEN" ${base}/${pia.orgNo}/aapnekrav
# The same token for another party (403):
curl -s ${status} -H "Authorization: Bearer $TOKEN" ${base}/${other.orgNo}/aapnekrav
# Pia revokes the system user in Altinn; after the TTL the same token gets 403, and a new token is refused:
curl -s ${status} -X DELETE ${altinnUrl}/authentication/api/v1/systemuser/${pia.orgNo}/${piaSystemUser}
sleep ${ttl + 1}; curl -s ${status} -H "Authorization: Bearer $TOKEN" ${base}/${pia.orgNo}/aapnekrav
npx portvakt token --org ${pia.orgNo}
# The accounting firm's agent system user reads its client ${client} (200):
FIRM=$(npx portvakt token --org ${ACCOUNTING_FIRM.orgNo})
curl -s ${status} -H "Authorization: Bearer $FIRM" ${base}/${client}/aapnekrav
# A vendor's admin token for Maskinporten's self-service API (POST /clients, POST /clients/{id}/jwks):
ADMIN=$(npx portvakt token --scope idporten:dcr.write)
`;
}
