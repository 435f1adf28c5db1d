import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../observe.js';
import { httpProblem, ProblemError, writeProblem } from '../problem.js';

/** Maps errors raised by Express itself or body parsers (http-errors with a 4xx `status`) to our codes. */
function fromHttpError(err: unknown): ProblemError | undefined {
  const status =
    (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (status === 413) return httpProblem('payload_too_large', 'The request body is larger than allowed.');
  if (status === 404) return httpProblem('not_found', 'No such resource.');
  return httpProblem('request_invalid', 'The request is malformed.', { cause: err });
}

/**
 * Writes refusals as RFC 9457 problem+json. Anything that is not a known refusal is a bug:
 * a 500 whose body says nothing of the cause, logged with the request id.
 */
export function createErrorHandler(logger?: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = err instanceof ProblemError ? err : fromHttpError(err);
    if (known) return writeProblem(res, known);
    const requestId = res.getHeader('x-request-id') ?? req.headers['x-request-id'];
    logger?.error({ err, requestId }, 'unhandled error');
    writeProblem(
      res,
      httpProblem('internal_error', `An internal error occurred (request id ${requestId ?? 'unknown'}).`),
    );
  };
}
