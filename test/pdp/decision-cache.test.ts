import { describe, expect, it, vi } from 'vitest';
import type { DecisionQuery } from '../../src/context.js';
import { pdpUnavailable } from '../../src/errors.js';
import { createPdpClient } from '../../src/pdp/client.js';
import { createDecisionCache, type DecisionCacheOptions, type DecisionLookup } from '../../src/pdp/decision-cache.js';
import type { Decision } from '../../src/pdp/response.js';
import { createTestPdp } from '../../src/testing/pdp.js';
import { deferred, QUERY, rejection, within } from './helpers.js';

const PERMIT: Decision = { permit: true };
const DENY: Decision = { permit: false, reason: 'Deny', detail: 'denied' };

/** A hand-moved monotonic clock. It starts above 0: lru-cache treats an entry started at 0 as never expiring. */
function clock() {
  let ms = 1_000_000;
  return {
    now: () => ms,
    advance: (by: number) => {
      ms += by;
    },
  };
}

function setup(options: Partial<DecisionCacheOptions> & { answer?: (query: DecisionQuery) => Promise<Decision> } = {}) {
  const time = clock();
  const lookups: DecisionLookup[] = [];
  const { answer = async () => PERMIT, ...rest } = options;
  const decide = vi.fn((query: DecisionQuery, _signal?: AbortSignal) => answer(query));
  const cache = createDecisionCache({
    ttlSeconds: 30,
    max: 1000,
    decide,
    onLookup: (lookup) => lookups.push(lookup),
    now: time.now,
    ...rest,
  });
  return { cache, decide, time, lookups };
}

describe('createDecisionCache', () => {
  it('answers 20 sequential identical lookups with one PDP call', async () => {
    const { cache, decide, lookups } = setup();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await cache.get(QUERY));
    expect(decide).toHaveBeenCalledTimes(1);
    expect(results.map((r) => r.cached)).toEqual([false, ...Array(19).fill(true)]);
    expect(results.every((r) => r.decision.permit)).toBe(true);
    expect(lookups).toEqual(['miss', ...Array(19).fill('hit')]);
  });

  it('shares one PDP call among 50 concurrent cold lookups', async () => {
    const answer = deferred<Decision>();
    const { cache, decide, lookups } = setup({ answer: () => answer.promise });
    const pending = Array.from({ length: 50 }, () => cache.get(QUERY));
    answer.resolve(PERMIT);
    const results = await Promise.all(pending);
    expect(decide).toHaveBeenCalledTimes(1);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(results.every((r) => r.decision.permit)).toBe(true);
    expect(lookups.filter((l) => l === 'miss')).toHaveLength(1);
    expect(lookups.filter((l) => l === 'inflight')).toHaveLength(49);
  });

  it('passes the query and an AbortSignal to the PDP call', async () => {
    const { cache, decide } = setup();
    await cache.get(QUERY);
    expect(decide).toHaveBeenCalledWith(QUERY, expect.any(AbortSignal));
  });

  it('reuses a Permit for ttlSeconds and no longer', async () => {
    const { cache, decide, time } = setup({ ttlSeconds: 30 });
    await cache.get(QUERY);
    time.advance(30_000);
    expect((await cache.get(QUERY)).cached).toBe(true);
    time.advance(1);
    expect((await cache.get(QUERY)).cached).toBe(false);
    expect(decide).toHaveBeenCalledTimes(2);
  });

  it('reuses a refusal for at most 5 s', async () => {
    const { cache, decide, time } = setup({ ttlSeconds: 30, answer: async () => DENY });
    await cache.get(QUERY);
    time.advance(5_000);
    expect(await cache.get(QUERY)).toEqual({ decision: DENY, cached: true });
    time.advance(1);
    expect((await cache.get(QUERY)).cached).toBe(false);
    expect(decide).toHaveBeenCalledTimes(2);
  });

  it('shows a fresh grant once the refusal expires', async () => {
    let granted = false;
    const { cache, time } = setup({ answer: async () => (granted ? PERMIT : DENY) });
    expect((await cache.get(QUERY)).decision.permit).toBe(false);
    granted = true;
    time.advance(5_001);
    expect((await cache.get(QUERY)).decision.permit).toBe(true);
  });

  it('never reuses a refusal longer than a Permit', async () => {
    const { cache, decide, time } = setup({ ttlSeconds: 2, answer: async () => DENY });
    await cache.get(QUERY);
    time.advance(2_001);
    await cache.get(QUERY);
    expect(decide).toHaveBeenCalledTimes(2);
  });

  it('does not extend an entry when it is read (a revocation shows within the TTL)', async () => {
    const { cache, decide, time } = setup({ ttlSeconds: 10 });
    await cache.get(QUERY);
    for (let i = 0; i < 10; i++) {
      time.advance(1_000);
      await cache.get(QUERY);
    }
    time.advance(1);
    await cache.get(QUERY);
    expect(decide).toHaveBeenCalledTimes(2);
  });

  it('never caches an error, and every waiter gets it', async () => {
    let fail = true;
    const { cache, decide } = setup({
      answer: async () => {
        if (fail) throw pdpUnavailable('down');
        return PERMIT;
      },
    });
    const errors = await Promise.all([rejection(cache.get(QUERY)), rejection(cache.get(QUERY))]);
    expect(errors.map((e) => e.code)).toEqual(['pdp_unavailable', 'pdp_unavailable']);
    expect(cache.size).toBe(0);
    fail = false;
    expect(await cache.get(QUERY)).toEqual({ decision: PERMIT, cached: false });
    expect(decide).toHaveBeenCalledTimes(2);
  });

  it('does not serve an expired decision when the PDP then fails (fails closed)', async () => {
    let fail = false;
    const { cache, time } = setup({
      answer: async () => {
        if (fail) throw pdpUnavailable('down');
        return PERMIT;
      },
    });
    await cache.get(QUERY);
    fail = true;
    time.advance(30_001);
    expect((await rejection(cache.get(QUERY))).code).toBe('pdp_unavailable');
  });

  it('keeps questions apart: parties, resources, actions, system users', async () => {
    const { cache, decide } = setup({ answer: async (q) => (q.party === QUERY.party ? PERMIT : DENY) });
    expect((await cache.get(QUERY)).decision.permit).toBe(true);
    expect((await cache.get({ ...QUERY, party: '313367002' })).decision.permit).toBe(false);
    await cache.get({ ...QUERY, resource: 'other' });
    await cache.get({ ...QUERY, action: 'write' });
    await cache.get({ ...QUERY, systemUserId: '5a0f9d07-5b1b-4b0c-8f0a-2b8c4f7c1e11' });
    expect(decide).toHaveBeenCalledTimes(5);
  });

  it('keys unambiguously, whatever the values contain', async () => {
    const { cache, decide } = setup();
    await cache.get({ ...QUERY, resource: 'a|b', action: 'c' });
    await cache.get({ ...QUERY, resource: 'a', action: 'b|c' });
    await cache.get({ ...QUERY, resource: 'a","b', action: 'c' });
    await cache.get({ ...QUERY, resource: 'a', action: 'b","c' });
    expect(decide).toHaveBeenCalledTimes(4);
  });

  it('is bounded by max, least recently used first', async () => {
    const { cache, decide } = setup({ max: 2 });
    await cache.get({ ...QUERY, party: '1' });
    await cache.get({ ...QUERY, party: '2' });
    await cache.get({ ...QUERY, party: '1' });
    await cache.get({ ...QUERY, party: '3' });
    expect(cache.size).toBe(2);
    expect((await cache.get({ ...QUERY, party: '1' })).cached).toBe(true);
    expect((await cache.get({ ...QUERY, party: '2' })).cached).toBe(false);
    expect(decide).toHaveBeenCalledTimes(4);
  });

  it('gives waiters pdp_unavailable, not a hang, when their in-flight call is evicted', async () => {
    const { cache, decide } = setup({ max: 1, answer: () => new Promise<Decision>(() => {}) });
    const first = rejection(cache.get({ ...QUERY, party: '1' }));
    const joined = rejection(cache.get({ ...QUERY, party: '1' }));
    const evicting = cache.get({ ...QUERY, party: '2' });
    const errors = await within(1000, Promise.all([first, joined]));
    expect(errors.map((e) => e.code)).toEqual(['pdp_unavailable', 'pdp_unavailable']);
    expect(decide.mock.calls[0]?.[1]?.aborted).toBe(true);
    cache.clear();
    await rejection(evicting);
  });

  it('aborts the PDP call and fails its waiters when cleared', async () => {
    const { cache, decide } = setup({ answer: () => new Promise<Decision>(() => {}) });
    const pending = rejection(cache.get(QUERY));
    cache.clear();
    expect((await within(1000, pending)).code).toBe('pdp_unavailable');
    expect(decide.mock.calls[0]?.[1]?.aborted).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('lets a bug in decide surface as itself', async () => {
    const { cache } = setup({ answer: async () => Promise.reject(new TypeError('bug')) });
    await expect(cache.get(QUERY)).rejects.toThrow(TypeError);
  });
});

describe('with the PDP client and a test PDP', () => {
  it('calls the PDP once for repeated requests and sees a revocation only after the TTL', async () => {
    const pdp = await createTestPdp();
    try {
      const time = clock();
      const decide = createPdpClient({ url: pdp.url, timeoutMs: 5000 });
      const cache = createDecisionCache({ ttlSeconds: 30, max: 100, decide, now: time.now });
      pdp.permit(QUERY.systemUserId, QUERY.resource, QUERY.party);
      for (let i = 0; i < 5; i++) expect((await cache.get(QUERY)).decision.permit).toBe(true);
      expect(pdp.calls).toHaveLength(1);
      pdp.revoke(QUERY.systemUserId);
      time.advance(30_001);
      expect(await cache.get(QUERY)).toMatchObject({ decision: { permit: false }, cached: false });
      pdp.setMode('error');
      time.advance(5_001);
      expect((await rejection(cache.get(QUERY))).code).toBe('pdp_unavailable');
    } finally {
      await pdp.close();
    }
  });
});

describe('with a shared level (in-memory stand-in for Redis)', () => {
  function fakeShared(initial: Record<string, { decision: Decision; ttlMs: number }> = {}) {
    const entries = new Map(Object.entries(initial));
    return {
      entries,
      get: vi.fn(async (key: string) => entries.get(key)),
      set: vi.fn(async (key: string, decision: Decision, ttlMs: number) => {
        entries.set(key, { decision, ttlMs });
      }),
      close: async () => {},
    };
  }
  const KEY = `${QUERY.systemUserId} ${QUERY.resource} ${QUERY.action} ${QUERY.party}`;

  it('asks the shared level before the PDP, counts its hit as cached, and stores PDP answers with their TTL', async () => {
    const shared = fakeShared({ [KEY]: { decision: PERMIT, ttlMs: 10_000 } });
    const { cache, decide, lookups } = setup({ shared, answer: async () => DENY });
    expect(await cache.get(QUERY)).toEqual({ decision: PERMIT, cached: true });
    expect(lookups).toEqual(['miss']);
    expect(await cache.get({ ...QUERY, party: '1' })).toEqual({ decision: DENY, cached: false });
    expect(decide).toHaveBeenCalledTimes(1);
    expect(shared.set).toHaveBeenCalledWith(`${QUERY.systemUserId} ${QUERY.resource} read 1`, DENY, 5000);
  });

  it('starts no PDP call when the lookup is given up during the shared read', async () => {
    const read = deferred<undefined>();
    const shared = { ...fakeShared(), get: vi.fn(() => read.promise) };
    const { cache, decide } = setup({ shared });
    const pending = rejection(cache.get(QUERY));
    cache.clear();
    read.resolve(undefined);
    expect((await within(1000, pending)).code).toBe('pdp_unavailable');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(decide).not.toHaveBeenCalled();
  });
});
