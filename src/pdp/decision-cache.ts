import { LRUCache } from 'lru-cache';
import type { DecisionQuery } from '../context.js';
import { pdpUnavailable } from '../errors.js';
import type { Decide } from './client.js';
import type { Decision } from './response.js';
import type { SharedDecisionStore } from './shared-cache.js';

/** How a lookup was answered: from the cache, by joining a PDP call already in flight, or by a new PDP call. */
export type DecisionLookup = 'hit' | 'inflight' | 'miss';

/** The longest a refusal is reused, so that a fresh grant in Altinn shows quickly. */
export const MAX_DENY_TTL_SECONDS = 5;

export interface DecisionCacheOptions {
  /** Seconds a Permit is reused (`DECISION_CACHE_TTL_SECONDS`, default 30 in the gateway). Positive. */
  ttlSeconds: number;
  /** Bound on cached decisions, in entries (`DECISION_CACHE_MAX`); the least recently used go first. */
  max: number;
  /**
   * Seconds a refusal (Deny, NotApplicable, unmet obligation) is reused. Default and maximum 5;
   * never longer than `ttlSeconds`.
   */
  denyTtlSeconds?: number;
  /** Asks the PDP; `signal` aborts when the cache gives up the entry (evicted, cleared). */
  decide: Decide;
  /**
   * A second level shared by replicas (Redis), asked after this process's cache and before the PDP, under
   * the same key and TTLs. It must never reject: an outage is a miss, so the cache degrades to this process.
   */
  shared?: SharedDecisionStore;
  /** Called once per lookup of this process's cache, for metrics; must not throw. */
  onLookup?: (lookup: DecisionLookup) => void;
  /** Monotonic clock in milliseconds for the TTLs, never 0 (lru-cache reads 0 as "no TTL"); default `performance.now`. For tests. */
  now?: () => number;
}

export interface CachedDecision {
  decision: Decision;
  /**
   * True when this lookup started no PDP call: a cache hit, a hit in the shared level, or joining a call
   * already in flight.
   */
  cached: boolean;
}

/** A cached decision and whether getting it took a PDP call (rather than the shared level). */
interface Entry {
  decision: Decision;
  fromPdp: boolean;
}

export interface DecisionCache {
  get(query: DecisionQuery): Promise<CachedDecision>;
  /** Synchronously: a fresh decision this process holds, or undefined (then `get` asks further). */
  fresh(query: DecisionQuery): Decision | undefined;
  /**
   * Forgets every decision of this process; lookups waiting on a PDP call get `pdp_unavailable`. The shared
   * level is not emptied (other replicas keep their own caches too), but this process stops reading it for
   * one Permit TTL, by which time everything it held before the clear has expired.
   */
  clear(): void;
  /** Entries held, PDP calls in flight included. */
  readonly size: number;
}

/**
 * The four parts joined by spaces. None can hold one, so no two questions share a key: the system user is a
 * uuid and the party nine digits (both checked by the pipeline), resource and action are one word each
 * (checked when `authorize()` is made). Built on every request, so a plain join rather than JSON.
 */
const keyOf = (query: DecisionQuery) => `${query.systemUserId} ${query.resource} ${query.action} ${query.party}`;

/**
 * Decisions (never errors) cached per (system user, resource, action, party), with one PDP call per key
 * in flight however many requests ask at once (lru-cache's `fetch`).
 */
export function createDecisionCache(options: DecisionCacheOptions): DecisionCache {
  const { ttlSeconds, max, denyTtlSeconds = MAX_DENY_TTL_SECONDS, decide, shared, onLookup, now } = options;
  // Options arrive parsed (createPortvakt's schema). Whole milliseconds, at least 1: a ttl of 0 would mean
  // "never expires" to lru-cache. A refusal is never reused longer than MAX_DENY_TTL_SECONDS, whatever is asked.
  const permitTtlMs = Math.max(1, Math.round(ttlSeconds * 1000));
  const denyTtlMs = Math.min(
    permitTtlMs,
    Math.max(1, Math.round(Math.min(denyTtlSeconds, MAX_DENY_TTL_SECONDS) * 1000)),
  );
  const ttlOf = (decision: Decision) => (decision.permit ? permitTtlMs : denyTtlMs);
  const clock = now ?? (() => performance.now());
  // After clear(), the shared level is not read for one Permit TTL: what it holds may predate the clear.
  let sharedReadsFrom = 0;

  // Abort reasons lru-cache gave our PDP calls (eviction, clear): waiters get those as rejections.
  const abandoned = new WeakSet<object>();

  const cache = new LRUCache<string, Entry, DecisionQuery>({
    max,
    ttl: permitTtlMs,
    // Read the clock on every check, so no entry outlives its TTL and an injected test clock is exact.
    ttlResolution: 0,
    ...(now ? { perf: { now } } : {}),
    // A hit must not extend an entry: a revoked system user has to lose access within the TTL.
    updateAgeOnGet: false,
    // Fail closed: a PDP outage must never be answered from an expired decision, so no stale value is ever
    // served or kept when a call fails or is aborted, and the failed entry is deleted (errors are not cached).
    allowStale: false,
    allowStaleOnFetchRejection: false,
    allowStaleOnFetchAbort: false,
    noDeleteOnFetchRejection: false,
    ignoreFetchAbort: false,
    fetchMethod: async (key, _stale, { signal, options: entry, context: query }) => {
      signal.addEventListener('abort', () => markAbandoned(signal.reason), { once: true });
      const found = shared && clock() >= sharedReadsFrom ? await shared.get(key) : undefined;
      if (found) {
        // Never longer than the writer left it, nor than this process's own TTL for that kind of decision:
        // a decision is reused for at most one TTL after the PDP gave it, whichever replica asked.
        entry.ttl = Math.max(1, Math.min(Math.floor(found.ttlMs), ttlOf(found.decision)));
        return { decision: found.decision, fromPdp: false };
      }
      // Given up while the shared level was asked (evicted, cleared): start no PDP call that nobody awaits.
      signal.throwIfAborted();
      const decision = await decide(query, signal);
      // Per entry, documented in lru-cache: a refusal is reused only briefly so that a fresh grant shows.
      entry.ttl = ttlOf(decision);
      // Awaited (it is bounded by the store's command timeout) so that a replica asked right after this
      // answer finds it. Errors are thrown by decide() above and so never reach the shared level.
      await shared?.set(key, decision, entry.ttl);
      return { decision, fromPdp: true };
    },
  });

  function markAbandoned(reason: unknown) {
    if (typeof reason === 'object' && reason !== null) abandoned.add(reason);
  }

  /** A plain get(): no status object and no promise; never an expired entry or a call in flight (allowStale is off). */
  function fresh(query: DecisionQuery): Decision | undefined {
    const entry = cache.get(keyOf(query));
    if (entry === undefined) return undefined;
    onLookup?.('hit');
    return entry.decision;
  }

  async function get(query: DecisionQuery): Promise<CachedDecision> {
    const key = keyOf(query);
    // One lookup: fetch() answers a fresh entry, joins a call in flight, or starts one; `status` says which.
    const status: LRUCache.Status<string, Entry, DecisionQuery> = {};
    const pending = cache.fetch(key, { context: query, status });
    // `status.fetch` is set before fetch() returns; 'stale' (an expired entry) starts a new call, as a miss does.
    const lookup: DecisionLookup = status.fetch === 'hit' || status.fetch === 'inflight' ? status.fetch : 'miss';
    onLookup?.(lookup);
    let entry: Entry | undefined;
    try {
      entry = await pending;
    } catch (err) {
      if (typeof err === 'object' && err !== null && abandoned.has(err)) {
        throw pdpUnavailable('The decision was abandoned before Altinn Authorization answered.', err);
      }
      throw err;
    }
    // lru-cache resolves undefined only for an aborted call it was told to tolerate; never a decision.
    if (entry === undefined) throw pdpUnavailable('The decision was abandoned before Altinn Authorization answered.');
    return { decision: entry.decision, cached: lookup !== 'miss' || !entry.fromPdp };
  }

  return {
    get,
    fresh,
    clear: () => {
      if (shared) sharedReadsFrom = clock() + permitTtlMs;
      cache.clear();
    },
    get size() {
      return cache.size;
    },
  };
}
