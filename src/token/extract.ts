import { type PortvaktError, tokenInvalid, tokenMissing } from '../errors.js';

const isBlank = (code: number) => code === 0x20 || code === 0x09;

/** "Bearer" in any case at `start`, compared in place (no lower-cased copy of the header on every request). */
function isBearerAt(value: string, start: number): boolean {
  for (let i = 0; i < 6; i++) {
    // ORing 0x20 lower-cases an ASCII letter; only "B"/"b" becomes "b", and so on.
    if ((value.charCodeAt(start + i) | 0x20) !== 'bearer'.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Reads the Bearer token from an Authorization header value (never query or body: RFC 6750 §2.2/2.3
 * transports leak into logs and caches). The scheme is case-insensitive; another scheme is "no token".
 * Returns the token, or the refusal (`token_missing`, `token_invalid`) for the caller to throw.
 *
 * The token's characters are not checked here: a token is either found, by exact match, among tokens
 * that were verified before, or verified, which accepts nothing but three base64url segments. Scanning
 * a kilobyte-long header once more on every request would cost more than the rest of the hot path.
 */
export function readBearer(authorization: string | undefined): string | PortvaktError {
  if (authorization === undefined) return tokenMissing();
  const value = authorization;
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  const afterScheme = start + 6;
  const schemeEnds = afterScheme === end || (afterScheme < end && isBlank(value.charCodeAt(afterScheme)));
  if (!schemeEnds || !isBearerAt(value, start)) {
    return tokenMissing('The Authorization header does not use the Bearer scheme.');
  }
  let i = afterScheme;
  while (i < end && isBlank(value.charCodeAt(i))) i++;
  if (i === end) return tokenInvalid('The Bearer token is empty.');
  return i === 0 && end === value.length ? value : value.slice(i, end);
}
