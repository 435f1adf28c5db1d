import { createRequire } from 'node:module';
import { z } from 'zod';
import type { Logger } from '../observe.js';
import type { Decision } from './response.js';

/** Prefix of every key in Redis. The version changes whenever the stored value's shape does. */
export const SHARED_KEY_PREFIX = 'portvakt:decision:v2:';

/** Default deadline of one Redis command: a shared cache slower than this is no faster than the PDP. */
export const DEFAULT_REDIS_TIMEOUT_MS = 100;

/**
 * After a failed command Redis is left alone this long, so a slow or failing Redis costs one timeout per
 * second rather than one per request.
 */
const COOLDOWN_MS = 1000;

/** How a shared lookup went: `unavailable` covers a failed command and a skipped one (outage, cooldown). */
export type SharedLookup = 'hit' | 'miss' | 'malformed' | 'unavailable';

/** A decision read from the shared store, with the time it has left there. */
export interface SharedDecision {
  decision: Decision;
  /** Milliseconds the writer's TTL still allows (Redis `PTTL`), always positive. */
  ttlMs: number;
}

/**
 * A second-level decision store shared by replicas. It never rejects: an outage is a miss on `get` and a
 * skipped write on `set`, so the decision cache degrades to its own process, never to failure or to access.
 */
export interface SharedDecisionStore {
  get(key: string): Promise<SharedDecision | undefined>;
  set(key: string, decision: Decision, ttlMs: number): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

export interface RedisDecisionStoreOptions {
  /** `redis://` or `rediss://` URL (credentials and database number as ioredis reads them). */
  url: string;
  /** Deadline of one command, in milliseconds. Default 100. */
  timeoutMs?: number;
  /** Warned once when an outage starts, told once when it ends. The URL is never logged (it may hold a password). */
  logger?: Logger;
  /** Called once per `get`, for metrics; must not throw. */
  onLookup?: (outcome: SharedLookup) => void;
  /** Called on every failed command or connection error, for metrics; must not throw. */
  onError?: (operation: 'get' | 'set' | 'connection') => void;
}

/**
 * What Portvakt writes, read back strictly: anything else in Redis (another version, a hand-written value,
 * garbage) is a miss, never a decision.
 */
const storedDecision = z.discriminatedUnion('permit', [
  z.object({ permit: z.literal(true) }).strict(),
  z
    .object({
      permit: z.literal(false),
      reason: z.enum(['Deny', 'NotApplicable', 'obligation']),
      detail: z.string().max(1000),
    })
    .strict(),
]);

function parseStored(text: string): Decision | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = storedDecision.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * ioredis is loaded only when a shared cache is configured, synchronously, so that a missing package is a clear
 * error at `createPortvakt` rather than at the first request. The library does not depend on it otherwise.
 */
function loadRedis(): typeof import('ioredis').Redis {
  try {
    return (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
  } catch (err) {
    throw new Error('portvakt: decisionCache.redisUrl needs the "ioredis" package; install it (npm install ioredis).', {
      cause: err,
    });
  }
}

/**
 * Decisions in Redis under `portvakt:decision:v2:<key>`, written with `SET … PX <ttl>` and read with their
 * remaining `PTTL`, so no replica reuses a decision longer than the TTL it was written with.
 *
 * Nothing waits on Redis: no offline queue, no retried commands, a short command timeout, and a cooldown
 * after a failure. Only the very first connection is waited for (at most one timeout), so a gateway that
 * just started uses Redis from its first request.
 */
export function createRedisDecisionStore(options: RedisDecisionStoreOptions): SharedDecisionStore {
  const { url, timeoutMs = DEFAULT_REDIS_TIMEOUT_MS, logger, onLookup, onError } = options;
  const Redis = loadRedis();
  const client = new Redis(url, {
    // Fail fast instead of queueing: a command while disconnected is rejected at once, and a command whose
    // connection drops is not sent again. The cache then answers from this process or asks the PDP.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs),
    // Keep reconnecting, at most every 2 s, for as long as the process runs.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });

  let outage = false;
  let closed = false;
  let pausedUntil = 0;

  function fail(operation: 'get' | 'set' | 'connection', err: unknown) {
    if (closed) return;
    onError?.(operation);
    failedAt = performance.now();
    pausedUntil = failedAt + COOLDOWN_MS;
    if (!outage) {
      outage = true;
      logger?.warn(
        { err: String(err), operation },
        'decision cache: Redis unavailable; caching decisions in this process only until it is back',
      );
    }
  }
  let failedAt = Number.NEGATIVE_INFINITY;
  /** A command that started after the last failure succeeded: the outage is over. An older one proves nothing. */
  function recover(startedAt = Number.POSITIVE_INFINITY) {
    if (outage && !closed && startedAt > failedAt) {
      outage = false;
      logger?.info({}, 'decision cache: Redis available again');
    }
  }
  // Without an 'error' listener ioredis prints every failed reconnect to the console.
  client.on('error', (err) => fail('connection', err));
  client.on('ready', () => {
    pausedUntil = 0;
    recover();
  });

  // Settles when the first connection attempt has succeeded or failed.
  let firstAttemptOver = false;
  const firstAttempt = new Promise<void>((resolve) => {
    const done = () => {
      firstAttemptOver = true;
      resolve();
    };
    client.once('ready', done);
    client.once('error', done);
    client.once('end', done);
  });

  async function usable(): Promise<boolean> {
    if (closed) return false;
    if (client.status !== 'ready' && !firstAttemptOver) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([firstAttempt, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    return client.status === 'ready' && performance.now() >= pausedUntil;
  }

  async function get(key: string): Promise<SharedDecision | undefined> {
    const outcome = await lookup(key);
    onLookup?.(outcome.kind);
    return outcome.found;
  }

  async function lookup(key: string): Promise<{ kind: SharedLookup; found?: SharedDecision }> {
    if (!(await usable())) return { kind: 'unavailable' };
    const startedAt = performance.now();
    let text: unknown;
    let ttlMs: unknown;
    try {
      // One transaction, so the value and its remaining time belong together.
      const results = await client
        .multi()
        .get(SHARED_KEY_PREFIX + key)
        .pttl(SHARED_KEY_PREFIX + key)
        .exec();
      if (!results) throw new Error('the transaction was discarded');
      for (const [err] of results) if (err) throw err;
      [text, ttlMs] = results.map(([, value]) => value);
    } catch (err) {
      fail('get', err);
      return { kind: 'unavailable' };
    }
    recover(startedAt);
    if (text === null || text === undefined) return { kind: 'miss' };
    const decision = typeof text === 'string' ? parseStored(text) : undefined;
    // A key without an expiry (PTTL -1) was not written by Portvakt: it could grant access forever.
    if (decision === undefined || typeof ttlMs !== 'number' || ttlMs === -1) return { kind: 'malformed' };
    // -2: it expired between the two commands' reads.
    if (ttlMs <= 0) return { kind: 'miss' };
    return { kind: 'hit', found: { decision, ttlMs } };
  }

  async function set(key: string, decision: Decision, ttlMs: number): Promise<void> {
    if (!(await usable())) return;
    const startedAt = performance.now();
    try {
      await client.set(SHARED_KEY_PREFIX + key, JSON.stringify(decision), 'PX', Math.max(1, Math.round(ttlMs)));
      recover(startedAt);
    } catch (err) {
      fail('set', err);
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      if (client.status === 'ready') await client.quit();
      else client.disconnect();
    } catch {
      client.disconnect();
    }
  }

  return { get, set, close };
}
