import type { Request, Response } from 'express';
import { httpProblem, type ProblemError } from '../problem.js';

/** Largest request body the gateway accepts: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const payloadTooLarge = (maxBytes = MAX_BODY_BYTES) =>
  httpProblem('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);

export const requestBodyStalled = (idleMs: number) =>
  httpProblem('request_invalid', `The request body sent nothing for ${idleMs} ms.`);

/**
 * Refuses a declared `Content-Length` over the limit before any other work (no token check, no
 * PDP call, nothing read). A chunked body has no declared length: the proxy counts it as it streams
 * (413 once over, 400 when it stalls). Every other route answers without reading the body, and a
 * request that brought one gets `Connection: close`: Node would otherwise read and throw away the rest
 * after the answer to keep the connection alive — 20 MB, or a body that never ends, held until its
 * 300 s request timeout. The proxy takes the header off again for the routes that do read it.
 */
export function bodyRefusal(req: Request, res: Response, maxBytes = MAX_BODY_BYTES): ProblemError | undefined {
  const declared = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
  if (hasBody && !req.complete) res.setHeader('Connection', 'close');
  if (declared !== undefined && Number(declared) > maxBytes) return payloadTooLarge(maxBytes);
  return undefined;
}
