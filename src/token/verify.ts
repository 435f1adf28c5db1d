import { type KeyObject, verify as rsaVerify } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWSHeaderParameters } from 'jose';
import { isPortvaktError, type PortvaktError, tokenInvalid } from '../errors.js';
import type { RemoteKeySet } from './jwks.js';

/** Verified JWT claims. */
export type TokenClaims = Record<string, unknown>;

/** What a token must say beyond a good signature: the issuer exactly, and the audience when one is configured. */
export interface ClaimRules {
  /** Exact expected `iss`; `https://test.maskinporten.no/` and `https://test.maskinporten.no` differ. */
  issuer: string;
  /** When set, `aud` must contain it. */
  audience?: string | undefined;
}

/** Allowed clock skew for `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

// Header parameters that would let the token choose its own key (RFC 8725 §3.10): a token carrying one is refused.
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `exp`, `nbf` and `iat` against the clock, with the tolerance; the refusal, or undefined when they hold. */
export function checkTimes(times: { exp?: unknown; nbf?: unknown; iat?: unknown }, nowMs: number) {
  const now = Math.floor(nowMs / 1000);
  const tolerance = CLOCK_TOLERANCE_SECONDS;
  if (!isNumber(times.exp)) return tokenInvalid('The token has no valid "exp" claim.');
  if (times.exp <= now - tolerance) return tokenInvalid('The token has expired.');
  if (times.nbf !== undefined && (!isNumber(times.nbf) || times.nbf > now + tolerance)) {
    return tokenInvalid('The token is not valid yet ("nbf").');
  }
  // jose ignores a future `iat` unless told a maximum age; a token "issued" in the future is forged or from a broken clock.
  if (times.iat !== undefined && (!isNumber(times.iat) || times.iat > now + tolerance)) {
    return tokenInvalid('The token is issued in the future ("iat").');
  }
  return undefined;
}

/**
 * Registered claims of a token some other middleware verified (express-jwt's `req.auth`): issuer, audience
 * and times under the same rules as our own verification. The refusal, or undefined when they hold.
 */
export function checkClaims(claims: TokenClaims, rules: ClaimRules, nowMs: number): PortvaktError | undefined {
  if (claims.iss !== rules.issuer) return tokenInvalid('The token is from another issuer.');
  if (rules.audience !== undefined) {
    const aud = claims.aud;
    const ok = aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience));
    if (!ok) return tokenInvalid('The token is not meant for this audience.');
  }
  return checkTimes(claims, nowMs);
}

export interface TokenVerifierOptions extends ClaimRules {
  keys: Pick<RemoteKeySet, 'getKey'>;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Verifies a JWS compact token as RS256 against the issuer's key set, then its claims. Resolves the claims or
 * the refusal (never rejects for a bad token): `token_invalid`, or `jwks_unavailable` when the keys cannot be had.
 *
 * Who checks what (docs/design.md): jose decodes the header and the payload (base64url, UTF-8 with no
 * replacement characters, a JSON object each) and selects and imports the key (`kty`, `alg`, `use`, `key_ops`).
 * Portvakt's policy on top: RS256 only, no key in the header, no `crit` (it implements no extension), a `kid`,
 * the RSA modulus at least 2048 bits, then the claims. The one hand-written step is the RSA check itself: Node's
 * `crypto.verify` on the imported key, in its callback form, which runs on libuv's thread pool as WebCrypto
 * does. Measured side by side with auth0's middleware on new tokens, jose's `compactVerify` (WebCrypto) gave
 * 0.91–0.93× its throughput and the synchronous `crypto.verify` 0.78–0.93×; this form 1.02–1.10× (docs/performance.md).
 */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const { keys } = options;
  const now = options.now ?? Date.now;

  async function verify(token: string): Promise<TokenClaims> {
    const parts = token.split('.');
    if (parts.length !== 3) throw tokenInvalid('The token is not a JWS compact serialization.');
    const [h, p, s] = parts as [string, string, string];
    let header: JWSHeaderParameters;
    let claims: TokenClaims;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
      claims = decodeJwt(token);
    } catch (err) {
      throw tokenInvalid('The token header or payload is not a base64url UTF-8 JSON object.', err);
    }
    if (header.alg !== 'RS256') throw tokenInvalid('The token must be signed with RS256.');
    for (const name of KEY_HEADERS) {
      if (name in header) throw tokenInvalid(`The token header may not carry "${name}".`);
    }
    // RFC 7515 §4.1.11: a critical extension the recipient does not implement makes the token invalid.
    if ('crit' in header) throw tokenInvalid('The token header has critical parameters we do not understand.');
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '' || kid.length > 256) throw tokenInvalid('The token header has no "kid".');
    const key = await keys.getKey(header);
    // Node's base64url decoder skips characters outside the alphabet: the signature must be spelled exactly.
    if (!B64URL.test(s) || !(await verifySignature(`${h}.${p}`, key, Buffer.from(s, 'base64url')))) {
      throw tokenInvalid('The token signature is invalid.');
    }
    const refusal = checkClaims(claims, options, now());
    if (refusal) throw refusal;
    return claims;
  }

  return (token: string): Promise<TokenClaims | PortvaktError> =>
    verify(token).catch((err: unknown) => {
      // Translation, not a swallow: every refusal is a PortvaktError, and anything else would be a bug.
      if (isPortvaktError(err)) return err;
      throw err;
    });
}

/** The RSA check on libuv's thread pool (the callback form), off the event loop. */
function verifySignature(signingInput: string, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      rsaVerify('RSA-SHA256', Buffer.from(signingInput), key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false); // e.g. a signature of the wrong length
    }
  });
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
