import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode, type PortvaktError } from './errors.js';

/** RFC 9457 problem details as Portvakt writes them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function toProblem(err: PortvaktError): Problem {
  return {
    type: `urn:portvakt:problem:${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
  };
}

/** Writes a refusal: its status, its headers (WWW-Authenticate, Retry-After, Allow) and the problem body. */
export function writeProblem(res: ServerResponse, err: PortvaktError): void {
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(toProblem(err)));
}

export { ERROR_CODES };
