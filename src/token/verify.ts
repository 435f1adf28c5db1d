import { errors, type JWSHeaderParameters, jwtVerify } from 'jose';
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

/** The time claims a remembered token is re-checked on (a verified token's `exp` is always a number). */
export interface TokenTimes {
  exp: number;
  nbf?: unknown;
  iat?: unknown;
}

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

/** jose's refusal in the words of a `token_invalid` detail (never the token's contents). */
function detailOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'The token is from another issuer.';
    if (err.claim === 'aud') return 'The token is not meant for this audience.';
    if (err.claim === 'nbf') return 'The token is not valid yet ("nbf").';
    return `The token's "${err.claim}" claim is invalid.`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token must be signed with RS256.';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (err instanceof errors.JWTInvalid) return 'The token payload is not a valid JWT claims set.';
  if (err instanceof errors.JWSInvalid) return 'The token is not a valid JWS compact serialization.';
  return 'The token could not be verified.';
}

export interface TokenVerifierOptions extends ClaimRules {
  keys: Pick<RemoteKeySet, 'getKey'>;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

/**
 * Verifies a JWS compact token with jose's `jwtVerify`: the JWS and its header (UTF-8 JSON, `crit`, `b64`),
 * RS256 only, the key chosen from the issuer's set, the RSA modulus, the signature, then the claims set
 * (UTF-8 JSON object), `iss`, `aud`, `exp` (required) and `nbf`. Portvakt adds its policy: no key in the
 * header, a `kid` required, and no `iat` in the future. Resolves the claims or the refusal (never rejects
 * for a bad token): `token_invalid`, or `jwks_unavailable` when the keys cannot be had.
 */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const { issuer, audience, keys } = options;
  const now = options.now ?? Date.now;

  const resolveKey = (header: JWSHeaderParameters) => {
    for (const name of KEY_HEADERS) {
      if (name in header) throw tokenInvalid(`The token header may not carry "${name}".`);
    }
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '' || kid.length > 256) throw tokenInvalid('The token header has no "kid".');
    return keys.getKey(header);
  };

  return async function verifyToken(token: string): Promise<TokenClaims | PortvaktError> {
    const at = now();
    let claims: TokenClaims;
    try {
      ({ payload: claims } = await jwtVerify(token, resolveKey, {
        algorithms: ['RS256'],
        issuer,
        ...(audience === undefined ? {} : { audience }),
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(at),
      }));
    } catch (err) {
      // Our own refusals from the key resolver (a bad header, unknown key, keys unobtainable) pass as they are;
      // anything jose refused is a bad token (including an RSA key under 2048 bits, which jose reports as a TypeError).
      return isPortvaktError(err) ? err : tokenInvalid(detailOf(err), err);
    }
    return checkTimes(claims, at) ?? claims;
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
