import { createPortvakt } from './src/index.js';
import { createTestIssuer, createTestPdp, systemUserIdFor, testConfig } from './src/testing/index.js';
import { createRemoteKeySet } from './src/token/jwks.js';
import { createTokenVerifier } from './src/token/verify.js';
import { createJsonFetcher } from './src/token/discovery.js';
import { callerOf } from './src/caller/caller.js';
const issuer = await createTestIssuer(); const pdp = await createTestPdp();
pdp.permit(systemUserIdFor('310478717'), 'ske-krav-og-betalinger', '310478717');
const portvakt = createPortvakt(testConfig(issuer, pdp));
const op = { scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' };
const N = 3000;
const keys = createRemoteKeySet({ jwksUri: async () => issuer.jwksUri, fetchJson: createJsonFetcher({ timeoutMs: 2000 }) });
const verify = createTokenVerifier({ issuer: issuer.issuer, keys });
await portvakt.authorizeRequest({ authorization: `Bearer ${issuer.token()}`, party: '310478717' }, op);
await verify(issuer.token());
async function time(name: string, f: (t: string) => Promise<unknown>) {
  const toks = Array.from({ length: N }, () => issuer.token());
  const t = process.cpuUsage(); for (const tk of toks) await f(tk); const c = process.cpuUsage(t);
  console.log(name, ((c.user + c.system) / N).toFixed(1), 'us cpu');
}
for (let r = 0; r < 2; r++) {
  await time('verify', (t) => verify(t));
  await time('verify+callerOf', async (t) => callerOf((await verify(t)) as Record<string, unknown>));
  await time('authorizeRequest cold', (t) => portvakt.authorizeRequest({ authorization: `Bearer ${t}`, party: '310478717' }, op));
  const tok = issuer.token();
  const t0 = process.cpuUsage(); for (let i = 0; i < N; i++) await portvakt.authorizeRequest({ authorization: `Bearer ${tok}`, party: '310478717' }, op); const c = process.cpuUsage(t0);
  console.log('authorizeRequest hot', ((c.user + c.system) / N).toFixed(1), 'us cpu');
}
process.exit(0);
