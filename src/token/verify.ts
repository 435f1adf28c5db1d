import { type KeyObject, verify as rsaVerify } from 'node:crypto';
import { tokenInvalid } from '../errors.js';
import type { RemoteKeySet } from './jwks.js';

/** Verified JWT claims. */
export type TokenClaims = Record<string, unknown>;

export interface TokenVerifierOptions {
  /** Exact expected `iss`; `https://test.maskinporten.no/` and `https://test.maskinporten.no` differ. */
  issuer: string;
  /** When set, `aud` must contain it. */
  audience?: string | undefined;
  keys: RemoteKeySet;
  /** Allowed clock skew for `exp`, `nbf`, `iat`, in seconds. At most 30. */
  clockToleranceSeconds?: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

// Header parameters that would let the token choose its own key (RFC 8725 §3.10): never honoured.
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (err) {
    throw tokenInvalid(`The token ${what} is not JSON.`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw tokenInvalid(`The token ${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function verifySignature(signingInput: string, key: KeyObject, signature: Buffer): boolean {
  try {
    return rsaVerify('RSA-SHA256', Buffer.from(signingInput), key, signature);
  } catch {
    return false; // e.g. a signature of the wrong length
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Registered-claim checks of RFC 7519 §4.1 with the contract's rules; throws `token_invalid`. */
export function checkClaims(claims: TokenClaims, options: TokenVerifierOptions, nowMs: number): void {
  const tolerance = Math.min(options.clockToleranceSeconds ?? 30, 30);
  const now = Math.floor(nowMs / 1000);
  if (claims.iss !== options.issuer) throw tokenInvalid('The token is from another issuer.');
  if (!isNumber(claims.exp)) throw tokenInvalid('The token has no valid "exp" claim.');
  if (claims.exp <= now - tolerance) throw tokenInvalid('The token has expired.');
  if (claims.nbf !== undefined && (!isNumber(claims.nbf) || claims.nbf > now + tolerance)) {
    throw tokenInvalid('The token is not valid yet ("nbf").');
  }
  // jose ignores a future `iat`; a token "issued" in the future is forged or from a broken clock.
  if (claims.iat !== undefined && (!isNumber(claims.iat) || claims.iat > now + tolerance)) {
    throw tokenInvalid('The token is issued in the future ("iat").');
  }
  if (options.audience !== undefined) {
    const aud = claims.aud;
    const ok = aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience));
    if (!ok) throw tokenInvalid('The token is not meant for this audience.');
  }
}

/**
 * Verifies a JWS compact token as RS256 against the issuer's key set, then its claims.
 * Node's `crypto.verify` on a cached KeyObject does the RSA work synchronously: the whole
 * check costs tens of microseconds instead of a WebCrypto round trip.
 */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const now = options.now ?? Date.now;
  return async function verifyToken(token: string): Promise<TokenClaims> {
    const parts = token.split('.');
    if (parts.length !== 3) throw tokenInvalid('The token is not a JWS compact serialization.');
    const [h, p, s] = parts as [string, string, string];
    // Node's base64url decoder skips characters outside the alphabet. For header and payload that is
    // harmless — the signature covers their exact text, so any stray character fails it — but the
    // signature segment must be exact, or one signature would have many spellings.
    if (h === '' || p === '' || !B64URL.test(s)) throw tokenInvalid('The token is not base64url.');
    const header = decodeJson(h, 'header');
    if (header.alg !== 'RS256') throw tokenInvalid('The token must be signed with RS256.');
    for (const name of KEY_HEADERS) {
      if (name in header) throw tokenInvalid(`The token header may not carry "${name}".`);
    }
    // We implement no JWS extensions, so any critical one is unknown (RFC 7515 §4.1.11).
    if ('crit' in header) throw tokenInvalid('The token header has critical parameters we do not understand.');
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '' || kid.length > 256) throw tokenInvalid('The token header has no "kid".');
    const claims = decodeJson(p, 'payload');
    const key = await options.keys.getKey(kid);
    const signature = Buffer.from(s, 'base64url');
    if (!verifySignature(`${h}.${p}`, key, signature)) {
      throw tokenInvalid('The token signature is invalid.');
    }
    checkClaims(claims, options, now());
    return claims;
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
