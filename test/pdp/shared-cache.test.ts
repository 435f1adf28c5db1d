import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DecisionQuery } from '../../src/context.js';
import { pdpUnavailable } from '../../src/errors.js';
import { createDecisionCache } from '../../src/pdp/decision-cache.js';
import type { Decision } from '../../src/pdp/response.js';
import { createRedisDecisionStore, type SharedDecisionStore, type SharedLookup } from '../../src/pdp/shared-cache.js';
import { deferred, QUERY, rejection, within } from './helpers.js';
import { HAS_REDIS_SERVER, type RedisServer, startRedisServer } from './redis-server.js';

const PERMIT: Decision = { permit: true };
const DENY: Decision = { permit: false, reason: 'Deny', detail: 'denied' };
/** The key the decision cache gives QUERY in Redis. */
const REDIS_KEY = `portvakt:decision:v2:${QUERY.systemUserId} ${QUERY.resource} ${QUERY.action} ${QUERY.party}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!HAS_REDIS_SERVER)('decision cache with a Redis second level (real redis-server)', () => {
  let redis: RedisServer;
  const opened: SharedDecisionStore[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.close());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await redis.admin.flushall();
  });

  /** One replica: its own Redis connection and decision cache, asking `answer` as its PDP. */
  function replica(answer: (query: DecisionQuery) => Promise<Decision> = async () => PERMIT, ttlSeconds = 30) {
    const lookups: SharedLookup[] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    const infos: string[] = [];
    const store = createRedisDecisionStore({
      url: redis.url,
      logger: {
        info: (_obj, msg) => infos.push(String(msg)),
        warn: (_obj, msg) => warnings.push(String(msg)),
        error: () => {},
      },
      onLookup: (outcome) => lookups.push(outcome),
      onError: (operation) => errors.push(operation),
    });
    opened.push(store);
    const decide = vi.fn((query: DecisionQuery, _signal?: AbortSignal) => answer(query));
    const cache = createDecisionCache({ ttlSeconds, max: 100, decide, shared: store });
    return { cache, decide, store, lookups, errors, warnings, infos };
  }

  it('lets a second replica reuse the first one’s decision: one PDP call, and the Redis hit is cached', async () => {
    const a = replica();
    const b = replica();
    expect(await a.cache.get(QUERY)).toEqual({ decision: PERMIT, cached: false });
    expect(await b.cache.get(QUERY)).toEqual({ decision: PERMIT, cached: true });
    expect(await b.cache.get(QUERY)).toEqual({ decision: PERMIT, cached: true });
    expect(a.decide).toHaveBeenCalledTimes(1);
    expect(b.decide).not.toHaveBeenCalled();
    expect(a.lookups).toEqual(['miss']);
    expect(b.lookups).toEqual(['hit']);
  });

  it('stores a Permit for the TTL and a refusal for at most 5 s, with SET … PX', async () => {
    const a = replica(async (q) => (q.party === QUERY.party ? PERMIT : DENY), 30);
    await a.cache.get(QUERY);
    await a.cache.get({ ...QUERY, party: '313367002' });
    const permitTtl = await redis.admin.pttl(REDIS_KEY);
    const denyTtl = await redis.admin.pttl(REDIS_KEY.replace(QUERY.party, '313367002'));
    expect(permitTtl).toBeGreaterThan(29_000);
    expect(permitTtl).toBeLessThanOrEqual(30_000);
    expect(denyTtl).toBeGreaterThan(4_000);
    expect(denyTtl).toBeLessThanOrEqual(5_000);
    expect(JSON.parse((await redis.admin.get(REDIS_KEY))!)).toEqual(PERMIT);
  });

  it('never stores an error', async () => {
    const a = replica(async () => Promise.reject(pdpUnavailable('down')));
    expect((await rejection(a.cache.get(QUERY))).code).toBe('pdp_unavailable');
    expect(await redis.admin.exists(REDIS_KEY)).toBe(0);
  });

  it('keeps single flight local: 20 concurrent cold lookups make one Redis read and one PDP call', async () => {
    const answer = deferred<Decision>();
    const a = replica(() => answer.promise);
    const get = vi.spyOn(a.store, 'get');
    const set = vi.spyOn(a.store, 'set');
    const pending = Array.from({ length: 20 }, () => a.cache.get(QUERY));
    await vi.waitFor(() => expect(a.decide).toHaveBeenCalledTimes(1));
    answer.resolve(PERMIT);
    const results = await Promise.all(pending);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(get).toHaveBeenCalledTimes(1);
    expect(set).toHaveBeenCalledTimes(1);
  });

  it('reuses a Redis hit only for the time it has left there', async () => {
    await redis.admin.set(REDIS_KEY, JSON.stringify(PERMIT), 'PX', 300);
    const a = replica(async () => DENY);
    expect(await a.cache.get(QUERY)).toEqual({ decision: PERMIT, cached: true });
    await sleep(350);
    expect(await a.cache.get(QUERY)).toEqual({ decision: DENY, cached: false });
    expect(a.decide).toHaveBeenCalledTimes(1);
  });

  it('caps a Redis hit at its own TTL: a refusal written for 60 s is reused for 5 s at most', async () => {
    await redis.admin.set(REDIS_KEY, JSON.stringify(DENY), 'PX', 60_000);
    const now = { ms: 1_000_000 };
    const a = replica(async () => PERMIT);
    const cache = createDecisionCache({
      ttlSeconds: 30,
      max: 100,
      decide: a.decide,
      shared: a.store,
      now: () => now.ms,
    });
    expect((await cache.get(QUERY)).decision).toEqual(DENY);
    await redis.admin.del(REDIS_KEY);
    now.ms += 5_001;
    expect(await cache.get(QUERY)).toEqual({ decision: PERMIT, cached: false });
  });

  it.each([
    ['not JSON', 'permit', 30_000],
    ['a string for permit', '{"permit":"true"}', 30_000],
    ['an extra property', '{"permit":true,"admin":true}', 30_000],
    ['a refusal without detail', '{"permit":false,"reason":"Deny"}', 30_000],
    ['an unknown reason', '{"permit":false,"reason":"Maybe","detail":"x"}', 30_000],
    ['a valid Permit without expiry', '{"permit":true}', undefined],
  ])('reads %s as a miss and replaces it', async (_what, value, px) => {
    if (px === undefined) await redis.admin.set(REDIS_KEY, value);
    else await redis.admin.set(REDIS_KEY, value, 'PX', px);
    const a = replica(async () => DENY);
    expect(await a.cache.get(QUERY)).toEqual({ decision: DENY, cached: false });
    expect(a.lookups).toEqual(['malformed']);
    expect(JSON.parse((await redis.admin.get(REDIS_KEY))!)).toEqual(DENY);
    expect(await redis.admin.pttl(REDIS_KEY)).toBeGreaterThan(0);
  });

  it('skips Redis for one TTL after clear(), so a cleared decision does not come back from it', async () => {
    const a = replica();
    await a.cache.get(QUERY);
    a.cache.clear();
    expect(await a.cache.get(QUERY)).toEqual({ decision: PERMIT, cached: false });
    expect(a.decide).toHaveBeenCalledTimes(2);
  });

  it('answers within the command timeout when Redis stops answering, then leaves it alone for a while', async () => {
    const a = replica();
    await a.cache.get({ ...QUERY, party: '1' });
    redis.pause();
    try {
      const started = performance.now();
      expect(await within(1000, a.cache.get(QUERY))).toEqual({ decision: PERMIT, cached: false });
      const second = performance.now();
      expect(await a.cache.get({ ...QUERY, party: '2' })).toEqual({ decision: PERMIT, cached: false });
      // The second lookup skipped Redis (cooldown): no command timeout on the way.
      expect(performance.now() - second).toBeLessThan(performance.now() - started);
      expect(a.errors).toContain('get');
      expect(a.warnings).toHaveLength(1);
      expect(a.lookups.slice(1)).toEqual(['unavailable', 'unavailable']);
    } finally {
      redis.resume();
    }
  });
});

describe.skipIf(!HAS_REDIS_SERVER)('decision cache when Redis goes away (real redis-server)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.close());

  it('keeps answering from the PDP and its own cache, warns once per outage, and uses Redis again when it is back', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const errors: string[] = [];
    const store = createRedisDecisionStore({
      url: redis.url,
      logger: { info: (_o, m) => infos.push(String(m)), warn: (_o, m) => warnings.push(String(m)), error() {} },
      onError: (operation) => errors.push(operation),
    });
    try {
      const decide = vi.fn(async () => PERMIT);
      const cache = createDecisionCache({ ttlSeconds: 30, max: 100, decide, shared: store });
      await cache.get({ ...QUERY, party: '0' });
      await redis.kill();
      for (let party = 1; party <= 5; party++) {
        expect(await cache.get({ ...QUERY, party: String(party) })).toEqual({ decision: PERMIT, cached: false });
        expect(await cache.get({ ...QUERY, party: String(party) })).toEqual({ decision: PERMIT, cached: true });
      }
      expect(decide).toHaveBeenCalledTimes(6);
      await vi.waitFor(() => expect(errors).toContain('connection'), { timeout: 3000 });
      expect(warnings).toHaveLength(1);

      await redis.restart();
      await vi.waitFor(() => expect(infos).toHaveLength(1), { timeout: 5000, interval: 50 });
      await cache.get({ ...QUERY, party: '6' });
      expect(await redis.admin.exists(REDIS_KEY.replace(QUERY.party, '6'))).toBe(1);
      expect(warnings).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
