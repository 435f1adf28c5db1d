/**
 * The gateway as `portvakt serve` runs it (`startGateway`, embedded PGlite with the demo claims or
 * PostgreSQL when CLAIMS_DATABASE_URL is set, pino at
 * `info` to a discarded stdout), with BENCH_GATEWAY_NOAUTH=1 the same app with authorization replaced by a
 * pass-through: the difference between the two is what authorization costs a request.
 */
import type { RequestHandler } from 'express';
import { createClaimsStore } from '../../src/claims/store.js';
import { createGatewayApp } from '../../src/gateway/app.js';
import { loadConfig } from '../../src/gateway/config.js';
import { kravOgBetalingerHandlers } from '../../src/gateway/handlers/krav-og-betalinger.js';
import { loadSpec } from '../../src/gateway/openapi.js';
import { DEFAULT_SPEC, startGateway } from '../../src/gateway/server.js';
import type { Portvakt, PortvaktContext } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { announce, env, serveScenario } from '../lib/server.js';
import { KRAV } from '../lib/shared.js';

const config = loadConfig({
  MASKINPORTEN_ISSUER: env('ISSUER'),
  ALTINN_PDP_URL: env('PDP_URL'),
  PORT: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  // Set by the bench for the gateway-postgres scenario; unset, the embedded store as `serve` defaults.
  ...(process.env.CLAIMS_DATABASE_URL ? { CLAIMS_DATABASE_URL: process.env.CLAIMS_DATABASE_URL } : {}),
});

if (process.env.BENCH_GATEWAY_NOAUTH === '1') {
  const logger = createLogger(config.logLevel);
  const real = (await import('../../src/index.js')).createPortvakt(config.portvakt);
  const context: Omit<PortvaktContext, 'party'> = {
    systemUser: { id: '00000000-0000-4000-8000-000000000000', orgNo: '310478717' },
    systemId: '314330897_smartregnskap',
    consumerOrgNo: '314330897',
    clientId: undefined,
    scopes: ['skatteetaten:kravogbetalinger'],
    decision: { cached: true },
  };
  // Lets everything through, but still runs the operation's parameter checks as the real one does.
  const permissive: Portvakt = {
    ...real,
    keysLoaded: true,
    authorize: (operation): RequestHandler => {
      return (req, _res, next) => {
        try {
          operation.validate?.(req);
          req.portvakt = { ...context, party: String(operation.party?.(req) ?? req.params.party) };
          next();
        } catch (err) {
          next(err);
        }
      };
    },
  };
  const app = createGatewayApp({
    portvakt: permissive,
    spec: loadSpec(DEFAULT_SPEC),
    store: await createClaimsStore(),
    logger,
    handlers: kravOgBetalingerHandlers,
  });
  await serveScenario(app);
} else {
  const gateway = await startGateway(config, { host: '127.0.0.1' });
  await gateway.portvakt.loadKeys();
  announce(
    { port: gateway.port },
    {
      /**
       * Times the gateway's own pipeline (same instance, same caches, audit line included) on the measured
       * request, one call at a time after the load: what authorization costs a request, without queueing.
       */
      authTime: async (payload) => {
        const { token, party, count } = payload as { token: string; party: string; count: number };
        const times = new Float64Array(count);
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          await gateway.portvakt.authorizeRequest({ authorization: `Bearer ${token}`, party }, KRAV);
          times[i] = performance.now() - started;
        }
        times.sort();
        return { p50Ms: times[Math.floor(count / 2)], meanMs: times.reduce((a, b) => a + b, 0) / count };
      },
    },
  );
}
