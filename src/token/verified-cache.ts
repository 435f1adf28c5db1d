import { LRUCache } from 'lru-cache';
import type { RemoteKeySet } from './jwks.js';
import { checkClaims, type TokenClaims, type TokenVerifier, type TokenVerifierOptions } from './verify.js';

/** Default bound on remembered tokens: about 25 MB at Maskinporten's token size (README, Performance). */
export const VERIFIED_TOKEN_CACHE_MAX = 10_000;

/** Seconds after `exp` that `checkClaims` still accepts a token; the cache never keeps an entry longer. */
const MAX_TOLERANCE_SECONDS = 30;

export interface VerifiedTokenCacheOptions {
  /** Bound on remembered tokens, in entries; the least recently used go first. Required: no unbounded cache. */
  max: number;
  /** The key set the verifier uses: every entry is dropped when its `generation` changes (a key was withdrawn). */
  keys: Pick<RemoteKeySet, 'generation'>;
  /** The same rules the verifier applies: `exp`, `nbf`, `iat`, `iss`, `aud` are re-checked on every hit. */
  claimRules: TokenVerifierOptions;
  /** Wall clock in ms for the claim checks; default `claimRules.now`, else `Date.now`. For tests. */
  now?: () => number;
}

/** What a cached token costs to look up; `size` is for metrics and the benchmark. */
export interface VerifiedTokenCache extends TokenVerifier {
  /** Entries held. */
  readonly size: number;
  /** Forgets every remembered token. */
  clear(): void;
  /** Synchronously: a remembered token's claims (re-checked, may throw `token_invalid`), or undefined. */
  peek(token: string): TokenClaims | undefined;
}

/** A verified token and its claims, found by `slotOf(token)`. */
interface Remembered {
  token: string;
  claims: TokenClaims;
}

/** Where a token is looked for: the last 32 characters of its signature, as good as random for a signed token. */
const slotOf = (token: string) => token.slice(-32);

/** Claims are shared by every request that presents the token: nobody may change them for the next one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Remembers tokens that passed `verify`, keyed by the exact token string, so a client that reuses its token
 * (Maskinporten tokens live about 120 s) pays the RSA check once instead of on every request.
 *
 * Security: only successful verifications are stored, so a forged or altered token (a different string)
 * always goes through the full check. Every hit re-runs `checkClaims` against the current clock, so a cached
 * token is refused exactly when a fresh verification would refuse it (expired, not yet valid); the entry's
 * TTL additionally evicts it once `exp` plus the 30 s tolerance has passed. A new key set generation (a JWKS
 * load that withdraws or replaces a key) empties the cache, so a withdrawn key stops authorizing cached tokens
 * too; loads that only add keys, or change nothing, keep it.
 * Entries are found by the token's last 32 characters (the end of its RS256 signature) and accepted only when
 * the whole stored token equals the one presented: hashing a 1 KB token for the Map cost about 14 000
 * instructions a request (callgrind), some 2 % of a whole bare Express request; the slot costs a tenth of that. Two tokens that end alike (by chance or by design) only displace each
 * other; neither is ever answered with the other's claims.
 */
export function createVerifiedTokenCache(
  verify: TokenVerifier,
  options: VerifiedTokenCacheOptions,
): VerifiedTokenCache {
  const { max, keys, claimRules } = options;
  if (!(Number.isSafeInteger(max) && max > 0)) {
    throw new RangeError('createVerifiedTokenCache: max must be a positive integer.');
  }
  const now = options.now ?? claimRules.now ?? Date.now;
  const cache = new LRUCache<string, Remembered>({ max });
  let generation = keys.generation;

  function sync(): void {
    if (keys.generation !== generation) {
      cache.clear();
      generation = keys.generation;
    }
  }

  /** A remembered token's claims, re-checked against the clock now; undefined when it is not remembered. */
  const peek = (token: string): TokenClaims | undefined => {
    sync();
    const slot = slotOf(token);
    const entry = cache.get(slot);
    if (entry === undefined || entry.token !== token) return undefined;
    try {
      checkClaims(entry.claims, claimRules, now());
    } catch (err) {
      cache.delete(slot);
      throw err;
    }
    return entry.claims;
  };

  const verifyCached = async (token: string): Promise<TokenClaims> => {
    const cached = peek(token);
    if (cached !== undefined) return cached;
    const claims = await verify(token);
    // The key `verify` used came from the set current when it resumed; no I/O ran between that and here, so
    // the generation read now is the one that key belongs to (a set loaded later clears this entry again).
    sync();
    // `verify` has checked that `exp` is a finite number. The TTL evicts the entry once no clock reading could
    // accept it any more; the checks above are what decides, on the same clock as a fresh verification.
    const ttl = ((claims.exp as number) + MAX_TOLERANCE_SECONDS) * 1000 - now();
    if (ttl > 0) cache.set(slotOf(token), { token, claims: deepFreeze(claims) }, { ttl: Math.ceil(ttl) });
    return claims;
  };

  return Object.defineProperties(verifyCached, {
    size: { get: () => cache.size },
    clear: { value: () => cache.clear() },
    peek: { value: peek },
  }) as VerifiedTokenCache;
}
