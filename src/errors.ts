import { ProblemError, type ProblemOptions } from './problem.js';

/**
 * The library's refusals: every one the pipeline makes is a PortvaktError with one of these codes (the gateway
 * has codes of its own, src/gateway/errors.ts). `type` in problem+json is `urn:portvakt:problem:<code>`.
 * `stage` is where the pipeline makes the refusal: `token` refusals are counted as token rejections by reason.
 */
export const ERROR_CODES = {
  token_missing: { status: 401, title: 'Bearer token missing', stage: 'token' },
  token_invalid: { status: 401, title: 'Bearer token invalid', stage: 'token' },
  jwks_unavailable: { status: 503, title: 'Signing keys unavailable', stage: 'keys' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', stage: 'token' },
  systemuser_missing: { status: 403, title: 'System user missing', stage: 'token' },
  party_invalid: { status: 400, title: 'Invalid party', stage: 'request' },
  period_invalid: { status: 400, title: 'Invalid period', stage: 'request' },
  access_denied: { status: 403, title: 'Access denied', stage: 'decision' },
  pdp_unavailable: { status: 503, title: 'Authorization service unavailable', stage: 'decision' },
} as const satisfies Record<string, { status: number; title: string; stage: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The refusals of the token itself, counted as token rejections by reason: the table's `token` stage. */
export const TOKEN_REJECTION_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code) => ERROR_CODES[code].stage === 'token',
);

/** Seconds a client should wait before retrying after a 503 from an upstream outage. */
export const RETRY_AFTER_SECONDS = 5;

/** The headers of a refusal caused by an outage the client may retry after (frozen: every such refusal shares it). */
export const RETRY_LATER: Record<string, string> = Object.freeze({ 'Retry-After': String(RETRY_AFTER_SECONDS) });

export class PortvaktError extends ProblemError<ErrorCode> {
  constructor(code: ErrorCode, detail: string, options: ProblemOptions = {}) {
    super(code, ERROR_CODES[code], detail, options);
    this.name = 'PortvaktError';
  }
}

export function isPortvaktError(err: unknown): err is PortvaktError {
  return err instanceof PortvaktError;
}

/** RFC 6750 §3 challenge; quotes escaped by one helper so no value can break the header. */
export function bearerChallenge(params: Record<string, string> = {}): string {
  const attrs = Object.entries(params).map(([k, v]) => `${k}="${v.replace(/[\\"]/g, '\\$&')}"`);
  return attrs.length === 0 ? 'Bearer' : `Bearer ${attrs.join(', ')}`;
}

export const tokenMissing = (detail = 'The request has no Bearer token in its Authorization header.') =>
  new PortvaktError('token_missing', detail, { headers: { 'WWW-Authenticate': bearerChallenge() } });

export const tokenInvalid = (detail: string, cause?: unknown) =>
  new PortvaktError('token_invalid', detail, {
    cause,
    // Exactly `Bearer error="invalid_token"`: the reason stays in the body, not in a header clients parse.
    headers: { 'WWW-Authenticate': bearerChallenge({ error: 'invalid_token' }) },
  });

export const jwksUnavailable = (cause?: unknown) =>
  new PortvaktError('jwks_unavailable', "The issuer's signing keys could not be obtained; try again shortly.", {
    cause,
    headers: RETRY_LATER,
  });

export const insufficientScope = (scope: string) =>
  new PortvaktError('insufficient_scope', `The token lacks the scope "${scope}".`, {
    headers: { 'WWW-Authenticate': bearerChallenge({ error: 'insufficient_scope', scope }) },
  });

/**
 * RFC 6750 §3 challenges every refusal of the token; of §3.1's codes only `insufficient_scope` ("requires
 * higher privileges than provided by the access token", 403) fits a valid token that lacks a system user.
 * No `scope` attribute: the scope is there, the `authorization_details` entry is what is missing.
 */
export const systemUserMissing = (detail: string, cause?: unknown) =>
  new PortvaktError('systemuser_missing', detail, {
    cause,
    headers: {
      'WWW-Authenticate': bearerChallenge({
        error: 'insufficient_scope',
        error_description: 'The token has no Altinn system user (authorization_details urn:altinn:systemuser).',
      }),
    },
  });

export const partyInvalid = (detail: string) => new PortvaktError('party_invalid', detail);

export const periodInvalid = (detail: string) => new PortvaktError('period_invalid', detail);

export const accessDenied = (detail: string) => new PortvaktError('access_denied', detail);

export const pdpUnavailable = (detail: string, cause?: unknown) =>
  new PortvaktError('pdp_unavailable', detail, { cause, headers: RETRY_LATER });
