import { LRUCache } from 'lru-cache';
import { isPortvaktError, type PortvaktError } from '../errors.js';
import { readBearer } from '../token/extract.js';
import type { RemoteKeySet } from '../token/jwks.js';
import { type ClaimRules, checkClaims, checkTimes, type TokenClaims, type TokenVerifier } from '../token/verify.js';
import { type Caller, callerOf } from './caller.js';

/** Default bound on remembered tokens: about 21 MB at Maskinporten's token size (docs/performance.md). */
export const REMEMBERED_TOKENS_MAX = 10_000;

/** Where the pipeline finds the caller: the Authorization header, or claims an earlier middleware verified. */
export interface CallerSource {
  /** The raw Authorization header value. */
  authorization: string | undefined;
  /** Claims some earlier middleware already verified (express-jwt's `req.auth`): re-checked, not re-verified. */
  verifiedClaims?: TokenClaims | undefined;
}

export interface CallersOptions {
  verify: TokenVerifier;
  /** The rules `verify` applies, re-applied to claims verified elsewhere. */
  rules: ClaimRules;
  /** The key set `verify` uses: every remembered token is forgotten when its `generation` changes (a key was withdrawn). */
  keys: Pick<RemoteKeySet, 'generation'>;
  /** Bound on remembered tokens, in entries; the least recently used go first. */
  max: number;
  /** Called with every refusal of the token before it is thrown (for metrics). */
  refused: (err: PortvaktError) => PortvaktError;
  /** Wall clock in ms; injectable for tests. */
  now?: () => number;
}

/** A verified token, what it says of its caller, and the times it is re-checked on. */
interface Remembered {
  token: string;
  caller: Caller;
  exp: number;
  nbf: unknown;
  iat: unknown;
}

/** Where a token is looked for: the last 32 characters of its signature, as good as random for a signed token. */
const slotOf = (token: string) => token.slice(-32);

/**
 * Which verified tokens were seen before, so a token is remembered at its second use: a client that takes a
 * new token for every request never fills the memory nor evicts the tokens in use, and remembering a token
 * used once cost it about 25 µs (the heap growth) in `npm run bench`. Each token is noted as a number made of
 * 7 characters of its signature (42 bits; the last character is left out, as it carries only 2 bits of a
 * 256-byte signature), kept by lru-cache: a number, unlike a slice of the token, keeps no 1 KB string alive.
 * The fixed table this replaces allocated nothing, but two tokens that shared a slot pushed each other out on
 * every use: with 1 000 clients, half of their tokens were never remembered.
 */
function createSeenBefore(max: number) {
  const seen = new LRUCache<number, true>({ max });
  return (token: string): boolean => {
    const end = token.length - 1;
    let mark = 0;
    for (let i = Math.max(0, end - 7); i < end; i++) mark = mark * 128 + token.charCodeAt(i);
    if (seen.has(mark)) return true;
    seen.set(mark, true);
    return false;
  };
}

/**
 * The token stage: the caller of a request, or a refusal (401 `token_missing`/`token_invalid`, 503
 * `jwks_unavailable`). A client reuses its token (Maskinporten tokens live about 120 s), so verified tokens are
 * remembered as callers from their second use on, and then cost one lookup instead of an RSA check and a parse.
 *
 * Security: only tokens that passed `verify` are remembered, and a hit needs the whole stored token to equal the
 * one presented, so a forged or altered token always goes through the full check. Every hit re-checks `exp`,
 * `nbf` and `iat` against the clock, so a remembered token is refused exactly when a fresh verification would
 * refuse it, and the entry is dropped then. No lru-cache TTL: it would read the clock a second time and arm a
 * timer every millisecond on the hot path; an expired entry nobody presents leaves as the least recently used.
 * A new key set generation (a reload that withdraws or changes a key) forgets every token. Entries are found by
 * the token's last 32 characters: hashing a 1 KB token for the map cost about 14 000 instructions a request
 * (callgrind), ten times the slot; two tokens that end alike only displace each other, neither is answered with
 * the other's caller.
 */
export function createCallers(options: CallersOptions) {
  const { verify, rules, keys, max, refused } = options;
  const now = options.now ?? Date.now;
  const remembered = new LRUCache<string, Remembered>({ max });
  const seenBefore = createSeenBefore(2 * max);
  let generation = keys.generation;

  /** A remembered token's caller, re-checked against the clock; undefined when the token is not remembered. */
  function rememberedCaller(token: string): Caller | undefined {
    if (keys.generation !== generation) {
      remembered.clear();
      generation = keys.generation;
    }
    const slot = slotOf(token);
    const entry = remembered.get(slot);
    if (entry === undefined || entry.token !== token) return undefined;
    const stale = checkTimes(entry, now());
    if (stale === undefined) return entry.caller;
    remembered.delete(slot);
    throw refused(stale);
  }

  /** Verifies a token that is not remembered, and remembers its caller if it was seen before. */
  async function verifiedCaller(token: string): Promise<Caller> {
    const claims = await verify(token);
    if (isPortvaktError(claims)) throw refused(claims);
    const caller = callerOf(claims);
    // The key `verify` used belongs to the generation read now (no I/O ran since it resumed), so this entry is
    // cleared with it. `verify` has checked `exp` and the clock.
    if (keys.generation === generation && seenBefore(token)) {
      remembered.set(slotOf(token), { token, caller, exp: claims.exp as number, nbf: claims.nbf, iat: claims.iat });
    }
    return caller;
  }

  /**
   * The caller of one request: at once (a remembered token, or claims verified upstream), or as a promise when
   * the token must be verified. Refusals are thrown. One lookup of the remembered tokens either way.
   */
  function callerFor(source: CallerSource): Caller | Promise<Caller> {
    if (source.verifiedClaims !== undefined) {
      // The signature was checked upstream; issuer, audience and times are re-checked against our rules.
      const refusal = checkClaims(source.verifiedClaims, rules, now());
      if (refusal) throw refused(refusal);
      return callerOf(source.verifiedClaims);
    }
    const token = readBearer(source.authorization);
    if (typeof token !== 'string') throw refused(token);
    return rememberedCaller(token) ?? verifiedCaller(token);
  }

  // `size`: tokens remembered now (for the benchmark's memory figures).
  return Object.defineProperty(callerFor, 'size', { get: () => remembered.size }) as Callers;
}

/** The token stage as the pipeline calls it. */
export type Callers = ((source: CallerSource) => Caller | Promise<Caller>) & { readonly size: number };
