import type { ServerResponse } from 'node:http';

/**
 * A refusal written as RFC 9457 problem+json: data with a stable `code`, an HTTP `status`, the response `headers`
 * it needs (WWW-Authenticate, Retry-After, Allow) and the `cause` kept. Express's own error handler honours
 * `status` and `headers`, so even without `portvakt.errorHandler()` a client gets the right status and challenge.
 * The library's refusals are `PortvaktError`s; the gateway makes its own with its own codes.
 */
export class ProblemError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly status: number;
  readonly statusCode: number;
  readonly title: string;
  readonly headers: Record<string, string>;
  /** Tells Express's default handler the message is safe to show (it is always our own words). */
  readonly expose = true;

  constructor(code: Code, type: ProblemType, detail: string, options: ProblemOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProblemError';
    this.code = code;
    this.status = type.status;
    this.statusCode = type.status;
    this.title = type.title;
    this.headers = options.headers ?? {};
  }

  /** The `detail` of the problem+json body: specific to the case, never token contents. */
  get detail(): string {
    return this.message;
  }
}

/** What one code means: its status and its fixed title. */
export interface ProblemType {
  status: number;
  title: string;
}

export interface ProblemOptions {
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * What an error handler writes for errors that are not a refusal of the pipeline: Express's and body parsers'
 * own (http-errors with a 4xx status), and bugs. Shared by `portvakt.errorHandler()` and the gateway.
 */
export const HTTP_PROBLEMS = {
  request_invalid: { status: 400, title: 'Invalid request' },
  not_found: { status: 404, title: 'Not found' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ProblemType>;

/** The maker of refusals for one table of codes (the library's error handler's here; the gateway's own). */
export function problemMaker<Types extends Record<string, ProblemType>>(types: Types) {
  return <Code extends keyof Types & string>(code: Code, detail: string, options?: ProblemOptions) =>
    new ProblemError(code, types[code] as ProblemType, detail, options);
}

export const httpProblem = problemMaker(HTTP_PROBLEMS);

/** RFC 9457 problem details as Portvakt writes them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function toProblem(err: ProblemError): Problem {
  return {
    type: `urn:portvakt:problem:${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
  };
}

/** Writes a refusal: its status, its headers (WWW-Authenticate, Retry-After, Allow) and the problem body. */
export function writeProblem(res: ServerResponse, err: ProblemError): void {
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(toProblem(err)));
}
