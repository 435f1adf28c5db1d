import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isClaimsOutage } from '../../src/claims/errors.js';
import { type ClaimsStore, createClaimsStore } from '../../src/claims/store.js';
import { BACKENDS } from '../claims/backends.js';
import { API, type GatewayWorld, sharedClaimsStore, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { eventually, forbidUnhandledErrors, startTcpProxy } from './helpers.js';

/**
 * The claims database going away and coming back while the gateway runs. test/gateway/surface.test.ts
 * maps store errors to 503/500 with a stub; here the gateway must also turn ready again by itself,
 * and (with TEST_DATABASE_URL) a real PostgreSQL connection is cut, and partitioned, between the
 * gateway and the database by a TCP proxy.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const path = `${API}/${RORVANN}/aapnekrav`;
const period = `${API}/${RORVANN}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31`;
/** pg's connection deadline (3 s) and query deadline, plus a margin: no request waits longer on a lost database. */
const STORE_BOUND_MS = 8000;

describe('a store that fails and recovers (stub)', () => {
  let world: GatewayWorld;
  let down = false;
  beforeAll(async () => {
    const real = await sharedClaimsStore();
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const guard =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A) => {
        if (down) throw refused();
        return call(...args);
      };
    const store: ClaimsStore = {
      aapneKrav: guard((party) => real.aapneKrav(party)),
      krav: guard((party, periode) => real.krav(party, periode)),
      innbetalinger: guard((party, periode) => real.innbetalinger(party, periode)),
      ping: guard(() => real.ping()),
      close: async () => undefined,
    };
    world = await startGatewayWorld({ gateway: { store } });
    world.permit(RORVANN);
  });
  afterAll(() => world.close());

  it('503 claims_unavailable and not ready while down; 200 and ready again when back, without a restart', async () => {
    const token = world.issuer.token();
    expect((await world.get(path, token)).status).toBe(200);
    down = true;
    const all = await Promise.all(Array.from({ length: 10 }, () => world.get(path, token)));
    for (const res of all) expectProblem(res, 503, 'claims_unavailable');
    expect((await world.get('/health/ready')).status).toBe(503);
    expect((await world.get('/health/live')).status).toBe(200);
    down = false;
    expect((await world.get('/health/ready')).status).toBe(200);
    expect((await world.get(path, token)).status).toBe(200);
  });
});

const postgres = BACKENDS.find((b) => b.name === 'PostgreSQL')!;
if (postgres.skip) console.info(`faults: PostgreSQL cut/partition tests skipped (${postgres.skip}).`);

describe.skipIf(postgres.skip !== undefined)('PostgreSQL behind a TCP proxy that is cut and restored', () => {
  let world: GatewayWorld;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let store: ClaimsStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const db = await postgres.open();
    dispose = db.dispose;
    const direct = new URL(db.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    store = await createClaimsStore({ databaseUrl: proxied.toString() });
    world = await startGatewayWorld({ gateway: { store } });
  });
  afterAll(async () => {
    await world?.close();
    await proxy?.close();
    await store?.close().catch(() => undefined);
    await dispose?.();
  });
  beforeEach(() => {
    proxy.restore();
    world.pdp.reset();
    world.permit(RORVANN);
  });

  it('connection cut: 503 claims_unavailable in time and not ready; back to 200 and ready when restored', async () => {
    const token = world.issuer.token();
    expect((await world.get(path, token)).status).toBe(200);
    proxy.cut();
    expectProblem(await world.get(path, token).timeout(STORE_BOUND_MS), 503, 'claims_unavailable');
    expectProblem(await world.get(period, token).timeout(STORE_BOUND_MS), 503, 'claims_unavailable');
    expect((await world.get('/health/ready').timeout(STORE_BOUND_MS)).status).toBe(503);
    proxy.restore();
    expect(await eventually(() => world.get('/health/ready').timeout(STORE_BOUND_MS), 200, 5000)).toBe(200);
    expect((await world.get(path, token).timeout(STORE_BOUND_MS)).status).toBe(200);
  });

  it('network partition (connections stay open, nothing arrives): 503 in time, ready again once healed', async () => {
    const token = world.issuer.token();
    expect((await world.get(path, token)).status).toBe(200);
    proxy.blackhole();
    expectProblem(await world.get(path, token).timeout(STORE_BOUND_MS), 503, 'claims_unavailable');
    expect((await world.get('/health/ready').timeout(STORE_BOUND_MS)).status).toBe(503);
    proxy.cut();
    proxy.restore();
    expect(await eventually(() => world.get('/health/ready').timeout(STORE_BOUND_MS), 200, 8000)).toBe(200);
    expect((await world.get(path, token).timeout(STORE_BOUND_MS)).status).toBe(200);
  });

  it('classifies what the driver throws for a lost connection as an outage', () => {
    expect(isClaimsOutage(Object.assign(new Error('Connection terminated unexpectedly'), {}))).toBe(true);
  });
});
