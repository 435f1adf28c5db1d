import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { SCOPE, VENDOR } from './cast.js';
import { JWT_BEARER, SYSTEMUSER_TYPE } from './maskinporten.js';

export const DEFAULT_MASKINPORTEN_URL = 'http://127.0.0.1:8081/';
/** Where `portvakt token` finds the running sandbox's Maskinporten. */
export const MASKINPORTEN_URL_ENV = 'PORTVAKT_SANDBOX_MASKINPORTEN';
const REQUEST_TIMEOUT_MS = 5000;

class TokenCommandError extends Error {}

export interface SandboxTokenOptions {
  /** The sandbox Maskinporten's issuer URL, e.g. `http://127.0.0.1:8081/`. */
  maskinporten: string;
  /**
   * The organization that owns the system user (for an agent system user: the accounting firm). Without
   * it the grant asks for a plain client token (e.g. for Altinn's vendor APIs).
   */
  org?: string;
  /** Space-separated. Default `skatteetaten:kravogbetalinger`. */
  scope?: string;
  /** The system user request's `externalRef`, when the vendor set one. */
  externalRef?: string;
  /** Sign as this client with this key (already registered) instead of SmartRegnskap with a fresh key. */
  signer?: Signer;
}

/** A client and one of its registered private keys. */
export interface Signer {
  clientId: string;
  kid: string;
  privateKey: CryptoKey;
}

/**
 * What a vendor does, as SmartRegnskap (a fresh key per call, so nothing is ever written to disk): make a key, register its public half with the client (the
 * sandbox's stand-in for Maskinporten's self-service API), sign a JWT grant asking for the org's system
 * user, and trade it at the token endpoint. Resolves to the access token; rejects with Maskinporten's reason.
 */
export async function requestSandboxToken(options: SandboxTokenOptions): Promise<string> {
  const issuer = options.maskinporten.endsWith('/') ? options.maskinporten : `${options.maskinporten}/`;
  const metadata = (await call(new URL('.well-known/oauth-authorization-server', issuer), { method: 'GET' })) as {
    issuer?: string;
    token_endpoint?: string;
  };
  if (!metadata.token_endpoint || !metadata.issuer) throw new TokenCommandError(`${issuer}: no Maskinporten metadata`);

  const { clientId, kid, privateKey } = options.signer ?? (await freshSmartRegnskapKey(issuer));

  const assertion = await new SignJWT({
    scope: options.scope ?? SCOPE,
    ...(options.org === undefined
      ? {}
      : {
          authorization_details: [
            {
              type: SYSTEMUSER_TYPE,
              systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${options.org}` },
              ...(options.externalRef ? { externalRef: options.externalRef } : {}),
            },
          ],
        }),
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(clientId)
    .setAudience(metadata.issuer)
    .setIssuedAt()
    .setExpirationTime('100s')
    .setJti(randomUUID())
    .sign(privateKey);

  const answer = (await call(new URL(metadata.token_endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  })) as { access_token?: string };
  if (typeof answer.access_token !== 'string') throw new TokenCommandError('Maskinporten answered without a token');
  return answer.access_token;
}

/** A fresh key registered on SmartRegnskap's client (the sandbox's bootstrap endpoint), never written to disk. */
async function freshSmartRegnskapKey(issuer: string): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  await call(new URL(`clients/${encodeURIComponent(VENDOR.clientId)}/keys`, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...jwk, kid, alg: 'RS256', use: 'sig' }),
  });
  return { clientId: VENDOR.clientId, kid, privateKey: privateKey as CryptoKey };
}

async function call(url: URL, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    throw new TokenCommandError(
      `no sandbox Maskinporten at ${url.origin} — start it with \`npm start\` (or set ${MASKINPORTEN_URL_ENV})`,
    );
  }
  const text = await res.text();
  let body: { error?: string; error_description?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {}
  if (!res.ok) {
    const reason = body?.error ? `${body.error}: ${body.error_description ?? ''}` : `HTTP ${res.status}`;
    throw new TokenCommandError(`Maskinporten refused: ${reason}`);
  }
  return body;
}

const USAGE =
  'usage: portvakt token --org <orgno> [--scope <scopes>] [--external-ref <ref>]   (a system-user token)\n' +
  "       portvakt token --scope <scopes>                                       (the vendor's own token)\n" +
  "       [--client-id <id> --key <private-jwk.json>]  sign as another client of yours instead of SmartRegnskap's";

/**
 * `portvakt token`: the access token alone on stdout, so `TOKEN=$(npx portvakt token --org 310478717)` works;
 * a refusal goes to stderr with exit code 1, naming what is missing.
 * - `--org <orgno>`: SmartRegnskap's system user for that organisation (scope default `skatteetaten:kravogbetalinger`);
 *   `--external-ref` when the vendor's request set one.
 * - no `--org`: the vendor's own token, for Altinn's vendor APIs or Digdir's `/clients` (then `--scope` is required).
 * - `--client-id` with `--key`: a client the vendor created itself, signed with its private JWK.
 */
export async function tokenCommand(args: string[]): Promise<void> {
  const fail = (message: string) => {
    process.stderr.write(`portvakt token: ${message}\n`);
    process.exitCode = 1;
  };
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        org: { type: 'string' },
        scope: { type: 'string' },
        'external-ref': { type: 'string' },
        'client-id': { type: 'string' },
        key: { type: 'string' },
      },
    }));
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.org !== undefined && !/^\d{9}$/.test(values.org)) {
    return fail(`--org must be an organisation number of 9 digits, got "${values.org}"\n${USAGE}`);
  }
  if (values.org === undefined && !values.scope) {
    return fail(
      `--org <orgno> is missing (for a system-user token, e.g. --org 310478717), or --scope <scopes> for the vendor's own token ` +
        `(e.g. --scope "altinn:authentication/systemregister.write")\n${USAGE}`,
    );
  }
  if (values['external-ref'] !== undefined && values.org === undefined) {
    return fail(`--external-ref needs --org <orgno>: it names one of that organisation's system users\n${USAGE}`);
  }
  if ((values['client-id'] === undefined) !== (values.key === undefined)) {
    return fail(
      `--client-id and --key go together: the client's id and the private JWK file of a key registered on it`,
    );
  }
  try {
    const signer = values.key ? await signerFromFile(values['client-id']!, values.key) : undefined;
    const token = await requestSandboxToken({
      maskinporten: process.env[MASKINPORTEN_URL_ENV] ?? DEFAULT_MASKINPORTEN_URL,
      ...(values.org ? { org: values.org } : {}),
      ...(values.scope ? { scope: values.scope } : {}),
      ...(values['external-ref'] ? { externalRef: values['external-ref'] } : {}),
      ...(signer ? { signer } : {}),
    });
    process.stdout.write(`${token}\n`);
  } catch (err) {
    if (!(err instanceof TokenCommandError)) throw err;
    let message = err.message;
    if (/invalid_altinn_customer_configuration/.test(message) && !values['external-ref']) {
      message +=
        `\n  (asked with externalRef = the org number ${values.org}, Altinn's default; if the vendor's request set ` +
        'another externalRef, pass --external-ref <ref>)';
    }
    fail(message);
  }
}

/** A client's private key from a JWK file (as `openssl`/jose export it): kid and key for signing grants. */
async function signerFromFile(clientId: string, path: string): Promise<Signer> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch {
    throw new TokenCommandError(`--key ${path}: not a readable JSON file with a private JWK`);
  }
  if (typeof jwk.kid !== 'string' || !('d' in jwk)) {
    throw new TokenCommandError(`--key ${path}: the JWK needs a kid and its private part (d)`);
  }
  return { clientId, kid: jwk.kid, privateKey: (await importJWK(jwk, 'RS256')) as CryptoKey };
}
