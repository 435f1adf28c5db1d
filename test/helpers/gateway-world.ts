import { Writable } from 'node:stream';
import request, { type Test } from 'supertest';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type ClaimsStore, createClaimsStore } from '../../src/claims/store.js';
import { loadConfig } from '../../src/gateway/config.js';
import { DEFAULT_SPEC, type GatewayOptions, startGateway } from '../../src/gateway/server.js';
import { createLogger } from '../../src/log.js';
import {
  createTestIssuer,
  createTestPdp,
  systemUserIdFor,
  type TestIssuer,
  type TestPdp,
  testEnv,
} from '../../src/testing/index.js';
import { type Contract, createContract } from './contract.js';

export const API = '/api/innkreving/kravogbetalinger/v1';
export const RESOURCE = 'ske-krav-og-betalinger';

/** What the gateway sets on every answer, local or proxied. */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

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
/** One demo-seeded PGlite store per test file: opening one costs seconds. Never close it. */
export function sharedClaimsStore(): Promise<ClaimsStore> {
  sharedStore ??= createClaimsStore();
  return sharedStore;
}
const contracts = new Map<string, Contract>();

/** The contract of the spec the gateway runs from, parsed once per file. */
function contractFor(specFile: string | URL): Contract {
  const key = String(specFile);
  let contract = contracts.get(key);
  if (!contract) {
    contract = createContract(specFile);
    contracts.set(key, contract);
  }
  return contract;
}

/** Makes supertest check every response against openapi.yaml: a violation fails the request's promise. */
export function contractChecked(test: Test, contract: Contract): Test {
  return test.expect((res) => contract.check(test.method, test.url, res));
}

/** A supertest client for `url` whose every request (get, post, head, …) is contract-checked. */
export function contractClient(url: string, contract: Contract): ReturnType<typeof request> {
  const client = request(url);
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof request.Test ? contractChecked(result, contract) : result;
      };
    },
  });
}

/** The real gateway (`startGateway`, as `portvakt serve` runs it) on a loopback port, wired to the kit. */
export interface GatewayWorldOptions {
  env?: Record<string, string>;
  gateway?: GatewayOptions;
  /** Runs before the gateway starts (e.g. to take the issuer down); then the keys are not awaited. */
  beforeStart?: (kit: { issuer: TestIssuer; pdp: TestPdp }) => void;
  /** Let the gateway open its own claims store from the config (CLAIMS_DATABASE_URL), as `serve` does. */
  ownStore?: boolean;
}

export async function startGatewayWorld({
  env = {},
  gateway: options = {},
  beforeStart,
  ownStore = false,
}: GatewayWorldOptions = {}) {
  const issuer = await createTestIssuer();
  const pdp = await createTestPdp();
  beforeStart?.({ issuer, pdp });
  const logs = captureLogs();
  const config = loadConfig({ ...testEnv(issuer, pdp), PORT: '0', ...env });
  const gateway = await startGateway(config, {
    host: '127.0.0.1',
    logger: logs.logger,
    ...(ownStore ? {} : { store: await sharedClaimsStore() }),
    ...options,
  });
  if (!beforeStart) await gateway.portvakt.loadKeys();
  const contract = contractFor(options.specFile ?? DEFAULT_SPEC);
  const http = contractClient(gateway.url, contract);
  const permit = (org: string, party = org) => pdp.permit(systemUserIdFor(org), RESOURCE, party);
  return {
    issuer,
    pdp,
    gateway,
    logs,
    permit,
    contract,
    /** Every request made through `http` and `get` is checked against the gateway's openapi.yaml. */
    http,
    get(path: string, token?: string) {
      const req = http.get(path);
      return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
    },
    async close() {
      await gateway.close();
      await Promise.all([issuer.close(), pdp.close()]);
    },
  };
}

export type GatewayWorld = Awaited<ReturnType<typeof startGatewayWorld>>;

/** Before a test: the PDP knows only the grants of `permitted` (each org's own system user), no decision is cached. */
export function resetGatewayWorld(world: GatewayWorld, permitted: string[]): void {
  world.pdp.reset();
  for (const org of permitted) world.permit(org);
  world.gateway.portvakt.clearDecisions();
}

/**
 * One gateway world per test file (started once, closed after), reset before each test: the PDP knows
 * only the grants of `permitted` (each org's own system user for itself), and no decision is cached.
 */
export function useGatewayWorld(permitted: string[], options: GatewayWorldOptions = {}): () => GatewayWorld {
  let world: GatewayWorld;
  beforeAll(async () => {
    world = await startGatewayWorld(options);
  });
  afterAll(() => world.close());
  beforeEach(() => resetGatewayWorld(world, permitted));
  return () => world;
}
