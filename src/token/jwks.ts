import { createPublicKey, type KeyObject } from 'node:crypto';
import { jwksUnavailable, tokenInvalid } from '../errors.js';

export interface RemoteKeySetOptions {
  /** Where the JWKS lives, or how to find out (discovery). */
  jwksUri: () => Promise<string>;
  fetchJson: (url: string) => Promise<unknown>;
  /** Minimum time between two fetches, failed ones included, so unknown `kid`s cannot flood the issuer. Default 5000 ms. */
  cooldownMs?: number;
  /** After this long the set is refreshed in the background on use. Default 300000 ms (5 min). */
  maxAgeMs?: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Called after every fetch attempt. */
  onRefresh?: (outcome: 'ok' | 'error', error?: unknown) => void;
}

export interface RemoteKeySet {
  /** The key for `kid`: 401 `token_invalid` if the issuer does not have it, 503 `jwks_unavailable` if we cannot ask. */
  getKey(kid: string): Promise<KeyObject>;
  /** Fetch now (respecting nothing but the in-flight fetch); rejects when the set cannot be loaded. */
  refresh(): Promise<void>;
  /** True once a JWKS has been loaded. */
  readonly loaded: boolean;
  /** Changes whenever a load withdraws or replaces a key (not when it only adds keys): what was verified before may no longer hold. */
  readonly generation: number;
}

/** Only RSA signature keys are usable: RS256 is the one algorithm we accept. */
function importKeys(body: unknown): Map<string, KeyObject> {
  const keys = (body as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
  const out = new Map<string, KeyObject>();
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const { kty, kid, use, alg } = jwk as Record<string, unknown>;
    if (kty !== 'RSA' || typeof kid !== 'string') continue;
    if (use !== undefined && use !== 'sig') continue;
    if (alg !== undefined && alg !== 'RS256') continue;
    try {
      out.set(kid, createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }));
    } catch {
      // One broken key must not take the others down with it.
    }
  }
  return out;
}

/**
 * True when a key of `before` is missing from `after` or has other material under the same `kid`. Only then
 * can something verified before stop being valid; a reload that adds keys (rotation announced ahead) or
 * returns the same set keeps what was verified with them.
 */
function withdrawsAny(before: Map<string, KeyObject>, after: Map<string, KeyObject>): boolean {
  for (const [kid, key] of before) {
    const current = after.get(kid);
    if (current === undefined || !current.equals(key)) return true;
  }
  return false;
}

/**
 * The issuer's signing keys, modelled on jose's remote key set but with the contract's failure rules:
 * one fetch in flight, a cooldown that also covers failed fetches, known keys kept while the issuer is down.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const cooldownMs = options.cooldownMs ?? 5_000;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const now = options.now ?? Date.now;
  let keys = new Map<string, KeyObject>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastError: unknown;
  let inflight: Promise<void> | undefined;
  let generation = 0;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      attemptedAt = now();
      try {
        const uri = await options.jwksUri();
        const loaded = importKeys(await options.fetchJson(uri));
        if (withdrawsAny(keys, loaded)) generation++;
        keys = loaded;
        loadedAt = now();
        lastError = undefined;
        options.onRefresh?.('ok');
      } catch (err) {
        lastError = err;
        options.onRefresh?.('error', err);
        throw err;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  async function getKey(kid: string): Promise<KeyObject> {
    const known = keys.get(kid);
    if (known) {
      // Stale but known: answer now, refresh behind the request (a removed key disappears on the next load).
      if (now() - loadedAt > maxAgeMs && now() - attemptedAt >= cooldownMs) refresh().catch(() => {});
      return known;
    }
    if (inflight) {
      await inflight.catch(() => {});
    } else if (now() - attemptedAt >= cooldownMs) {
      await refresh().catch(() => {});
    }
    const key = keys.get(kid);
    if (key) return key;
    // Never loaded, or the last attempt failed: we cannot tell whether the kid is real.
    if (lastError !== undefined || loadedAt === Number.NEGATIVE_INFINITY) throw jwksUnavailable(lastError);
    throw tokenInvalid('The token is signed with a key the issuer does not publish.');
  }

  return {
    getKey,
    refresh,
    get loaded() {
      return loadedAt !== Number.NEGATIVE_INFINITY;
    },
    get generation() {
      return generation;
    },
  };
}
