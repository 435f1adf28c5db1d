import { KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWSHeaderParameters } from 'jose';
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

/** RSA keys under 2048 bits are not used for RS256 (RFC 7518 §3.3), as jose refuses them when it verifies. */
const MIN_RSA_BITS = 2048;

export interface RemoteKeySet {
  /**
   * The key for the token's header (`kid`, `alg`): 401 `token_invalid` if the issuer publishes no usable key
   * for it, 503 `jwks_unavailable` if we cannot ask.
   */
  getKey(header: JWSHeaderParameters): Promise<KeyObject>;
  /** Fetch now (respecting nothing but the in-flight fetch); rejects when the set cannot be loaded. */
  refresh(): Promise<void>;
  /** True once a JWKS has been loaded. */
  readonly loaded: boolean;
  /** Changes whenever a load withdraws or changes a key (not when it only adds keys): what was verified before may no longer hold. */
  readonly generation: number;
}

/**
 * One loaded JWKS: jose's local key set, what each `kid` stands for (to see what a reload withdraws), and the
 * key jose selected per `kid`, as a Node KeyObject for `crypto.verify` (see verify.ts for why).
 */
interface Loaded {
  select: ReturnType<typeof createLocalJWKSet>;
  byKid: Map<string, string>;
  selected: Map<string, Promise<KeyObject>>;
}

const EMPTY: Loaded = { select: createLocalJWKSet({ keys: [] }), byKid: new Map(), selected: new Map() };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Key selection (`kty`, `kid`, `alg`, `use`, `key_ops`) and import are jose's (`createLocalJWKSet`); the
 * modulus is checked when a key is selected (`select` below). Members that are not objects are dropped
 * here so that one broken entry cannot take the others down with it.
 */
function load(body: unknown): Loaded {
  const keys = isObject(body) ? body.keys : undefined;
  if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
  const members = keys.filter(isObject) as JWK[];
  const byKid = new Map<string, string>();
  for (const jwk of members) {
    if (typeof jwk.kid === 'string')
      byKid.set(jwk.kid, JSON.stringify([jwk.kty, jwk.n, jwk.e, jwk.use, jwk.key_ops, jwk.alg]));
  }
  return { select: createLocalJWKSet({ keys: members } as JSONWebKeySet), byKid, selected: new Map() };
}

/** True when a `kid` of `before` is missing from `after` or stands for other material or uses there. */
function withdrawsAny(before: Loaded, after: Loaded): boolean {
  for (const [kid, key] of before.byKid) if (after.byKid.get(kid) !== key) return true;
  return false;
}

/**
 * The issuer's signing keys, modelled on jose's remote key set but with Portvakt's failure rules:
 * one fetch in flight, a cooldown that also covers failed fetches, known keys kept while the issuer is down,
 * and 503 (not 401) when an unknown `kid` cannot be checked because the issuer is unreachable.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const cooldownMs = options.cooldownMs ?? 5_000;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const now = options.now ?? Date.now;
  let current = EMPTY;
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
        const loaded = load(await options.fetchJson(uri));
        if (withdrawsAny(current, loaded)) generation++;
        current = loaded;
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

  /**
   * jose picks the key for RS256 and the `kid` (by `kty`, `alg`, `use`, `key_ops`) and imports it, once per
   * loaded set; a `kid` the set names but with no usable key is the token's fault.
   */
  function select(header: JWSHeaderParameters): Promise<KeyObject> {
    const kid = String(header.kid);
    const loaded = current;
    let key = loaded.selected.get(kid);
    if (key === undefined) {
      key = loaded.select({ alg: 'RS256', kid }).then((selected) => {
        const keyObject = KeyObject.from(selected as Parameters<typeof KeyObject.from>[0]);
        if ((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
          throw new RangeError(`RS256 keys must have a modulus of at least ${MIN_RSA_BITS} bits`);
        }
        return keyObject;
      });
      loaded.selected.set(kid, key);
    }
    return key.catch((err: unknown) => {
      throw tokenInvalid('The issuer publishes no key usable for this token (kid, alg, use, key_ops, size).', err);
    });
  }

  async function getKey(header: JWSHeaderParameters): Promise<KeyObject> {
    const kid = String(header.kid);
    if (current.byKid.has(kid)) {
      // Stale but known: answer now, refresh behind the request (a removed key disappears on the next load).
      if (now() - loadedAt > maxAgeMs && now() - attemptedAt >= cooldownMs) refresh().catch(() => {});
      return select(header);
    }
    if (inflight) {
      await inflight.catch(() => {});
    } else if (now() - attemptedAt >= cooldownMs) {
      await refresh().catch(() => {});
    }
    if (current.byKid.has(kid)) return select(header);
    // Never loaded, or the last attempt failed: we cannot tell whether the kid is real.
    if (lastError !== undefined || loadedAt === Number.NEGATIVE_INFINITY) throw jwksUnavailable(lastError);
    throw tokenInvalid('The token is signed with a key the issuer does not publish.', new errors.JWKSNoMatchingKey());
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
