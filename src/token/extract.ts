import { tokenInvalid, tokenMissing } from '../errors.js';

// RFC 6750 §2.1 b64token: a JWS compact token always fits it, so anything else is refused early.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads the Bearer token from an Authorization header value (never query or body: RFC 6750 §2.2/2.3
 * transports leak into logs and caches). The scheme is case-insensitive; another scheme is "no token".
 */
export function extractBearer(authorization: string | undefined): string {
  if (authorization === undefined) throw tokenMissing();
  const match = /^[ \t]*([^ \t]+)(?:[ \t]+(.*))?$/.exec(authorization);
  if (!match || match[1]!.toLowerCase() !== 'bearer') {
    throw tokenMissing('The Authorization header does not use the Bearer scheme.');
  }
  const token = (match[2] ?? '').trim();
  if (token === '') throw tokenInvalid('The Bearer token is empty.');
  if (!B64TOKEN.test(token)) throw tokenInvalid('The Bearer token is not a well-formed token.');
  return token;
}
