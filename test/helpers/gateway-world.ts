import { Writable } from 'node:stream';
import request from 'supertest';
import { type ClaimsStore, createClaimsStore } from '../../src/claims/store.js';
import { loadConfig } from '../../src/gateway/config.js';
import { type GatewayOptions, startGateway } from '../../src/gateway/server.js';
import { createLogger } from '../../src/log.js';
import {
  createTestIssuer,
  createTestPdp,
  systemUserIdFor,
  type TestIssuer,
  type TestPdp,
  testEnv,
} from '../../src/testing/index.js';

export const API = '/api/innkreving/kravogbetalinger/v1';
export const RESOURCE = 'ske-krav-og-betalinger';

/** Every log line the gateway writes, as text, so tests can prove what never appears in logs. */
export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

let sharedStore: Promise<ClaimsStore> | undefined;

/** The real gateway (`startGateway`, as `portvakt serve` runs it) on a loopback port, wired to the kit. */
export interface GatewayWorldOptions {
  env?: Record<string, string>;
  gateway?: GatewayOptions;
  /** Runs before the gateway starts (e.g. to take the issuer down); then the keys are not awaited. */
  beforeStart?: (kit: { issuer: TestIssuer; pdp: TestPdp }) => void;
}

export async function startGatewayWorld({ env = {}, gateway: options = {}, beforeStart }: GatewayWorldOptions = {}) {
  const issuer = await createTestIssuer();
  const pdp = await createTestPdp();
  beforeStart?.({ issuer, pdp });
  sharedStore ??= createClaimsStore();
  const logs = captureLogs();
  const config = loadConfig({ ...testEnv(issuer, pdp), PORT: '0', ...env });
  const gateway = await startGateway(config, {
    host: '127.0.0.1',
    logger: logs.logger,
    store: await sharedStore,
    ...options,
  });
  if (!beforeStart) await gateway.portvakt.loadKeys();
  const permit = (org: string, party = org) => pdp.permit(systemUserIdFor(org), RESOURCE, party);
  return {
    issuer,
    pdp,
    gateway,
    logs,
    permit,
    http: request(gateway.url),
    get(path: string, token?: string) {
      const req = request(gateway.url).get(path);
      return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
    },
    async close() {
      await gateway.close();
      await Promise.all([issuer.close(), pdp.close()]);
    },
  };
}

export type GatewayWorld = Awaited<ReturnType<typeof startGatewayWorld>>;
