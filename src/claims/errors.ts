import { RETRY_LATER } from '../errors.js';
import { gatewayProblem } from '../gateway/errors.js';

/** The claims database could not answer: a 503 the client may retry, never a 500. */
export const claimsUnavailable = (cause?: unknown) =>
  gatewayProblem('claims_unavailable', 'The claims store is unavailable; try again shortly.', {
    cause,
    headers: RETRY_LATER,
  });

/**
 * SQLSTATE classes that mean the database is out of reach or out of capacity, not that our SQL is wrong:
 * 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, cancel,
 * statement timeout), 58 system error.
 */
const UNAVAILABLE_SQLSTATE = /^(?:08|53|57|58)[0-9A-Z]{3}$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Whether a driver error is an outage (→ 503 `claims_unavailable`) rather than a bug (→ 500).
 * Errors the server raised carry an SQLSTATE; errors without one come from the connection itself
 * (refused, reset, pool or query timeout) — except programming errors such as a TypeError.
 */
export function isClaimsOutage(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SQLSTATE.test(code)) return UNAVAILABLE_SQLSTATE.test(code);
  return true;
}
