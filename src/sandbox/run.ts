import { parseArgs } from 'node:util';
import { loadConfig } from '../gateway/config.js';
import { startGateway } from '../gateway/server.js';
import { createLogger } from '../log.js';
import { createTestIssuer, createTestPdp, systemUserIdFor, testEnv } from '../testing/index.js';
import { ACCOUNTING_FIRM, NO_SYSTEM_USER, RESOURCE, STANDARD_USERS } from './cast.js';

export interface Sandbox {
  close(): Promise<void>;
}

const API = '/api/innkreving/kravogbetalinger/v1';

/**
 * `npm start`: the gateway wired to a local issuer and PDP on loopback, seeded with the cast.
 * Keys live in memory only, so `portvakt serve` can never pick them up.
 */
export async function runSandbox(args: string[]): Promise<Sandbox> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8080' },
      'issuer-port': { type: 'string', default: '8081' },
      'pdp-port': { type: 'string', default: '8082' },
      ttl: { type: 'string', default: process.env.DECISION_CACHE_TTL_SECONDS ?? '5' },
    },
  });
  const issuer = await createTestIssuer({ port: Number(values['issuer-port']) });
  const pdp = await createTestPdp({ port: Number(values['pdp-port']) });
  for (const user of STANDARD_USERS) pdp.permit(systemUserIdFor(user.orgNo), RESOURCE, user.orgNo);
  for (const client of ACCOUNTING_FIRM.clients) pdp.permit(systemUserIdFor(ACCOUNTING_FIRM.orgNo), RESOURCE, client);

  const config = loadConfig({
    ...testEnv(issuer, pdp),
    PORT: values.port,
    DECISION_CACHE_TTL_SECONDS: values.ttl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const gateway = await startGateway(config, { host: '127.0.0.1', logger: createLogger(config.logLevel) });
  await gateway.portvakt.loadKeys().catch(() => {});

  const base = `http://127.0.0.1:${gateway.port}${API}`;
  const token = issuer.token({ org: STANDARD_USERS[0]!.orgNo, expiresInSeconds: 3600 });
  const firmToken = issuer.token({ org: ACCOUNTING_FIRM.orgNo, expiresInSeconds: 3600 });
  process.stdout.write(`
Portvakt sandbox is up
  gateway      ${gateway.url}   (docs: ${gateway.url}/openapi.yaml)
  Maskinporten ${issuer.issuer}   (metadata, JWKS)
  Altinn PDP   ${pdp.url}
  decision cache TTL ${config.decisionCacheTtlSeconds} s

A SmartRegnskap system-user token for ${STANDARD_USERS[0]!.name} (${STANDARD_USERS[0]!.orgNo}), valid 1 hour:

TOKEN=${token}

# Read Rør og Vann AS's open claims (200):
curl -s -H "Authorization: Bearer $TOKEN" ${base}/${STANDARD_USERS[0]!.orgNo}/aapnekrav

# Read another party with the same token (403 access_denied):
curl -s -H "Authorization: Bearer $TOKEN" ${base}/${NO_SYSTEM_USER.orgNo}/aapnekrav

# Claims in a period (200), and a period over a year (400 period_invalid):
curl -s -H "Authorization: Bearer $TOKEN" "${base}/${STANDARD_USERS[0]!.orgNo}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31"
curl -s -H "Authorization: Bearer $TOKEN" "${base}/${STANDARD_USERS[0]!.orgNo}/krav?fraOgMed=2025-01-01&tilOgMed=2026-12-31"

# The accounting firm's agent system user reads its client ${ACCOUNTING_FIRM.clients[0]} (200):
FIRM_TOKEN=${firmToken}
curl -s -H "Authorization: Bearer $FIRM_TOKEN" ${base}/${ACCOUNTING_FIRM.clients[0]}/aapnekrav

Ctrl-C stops everything.
`);

  return {
    async close() {
      await gateway.close();
      await Promise.all([issuer.close(), pdp.close()]);
    },
  };
}
