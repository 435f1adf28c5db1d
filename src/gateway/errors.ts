import { type ProblemType, problemMaker } from '../problem.js';

/** The gateway's own refusals, beside the library's codes and the HTTP problems every error handler writes. */
export const GATEWAY_PROBLEMS = {
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  claims_unavailable: { status: 503, title: 'Claims store unavailable' },
  upstream_unavailable: { status: 502, title: 'Upstream unavailable' },
  upstream_timeout: { status: 504, title: 'Upstream timeout' },
} as const satisfies Record<string, ProblemType>;

export const gatewayProblem = problemMaker(GATEWAY_PROBLEMS);
