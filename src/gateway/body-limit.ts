import type { RequestHandler } from 'express';
import { PortvaktError } from '../errors.js';

/** Largest request body the gateway accepts: 1 MiB (contract §11). */
export const MAX_BODY_BYTES = 1024 * 1024;

export const payloadTooLarge = (maxBytes = MAX_BODY_BYTES) =>
  new PortvaktError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);

/**
 * Refuses a declared `Content-Length` over the limit before any other work (no token check, no
 * PDP call, nothing read). A chunked body has no declared length: the proxy counts it as it streams,
 * and local handlers never read a body at all.
 */
export function createBodyLimit(maxBytes = MAX_BODY_BYTES): RequestHandler {
  return (req, _res, next) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) return next(payloadTooLarge(maxBytes));
    next();
  };
}
