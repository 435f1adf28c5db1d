export type { DecisionQuery, PortvaktContext } from './context.js';
export {
  bearerChallenge,
  ERROR_CODES,
  type ErrorCode,
  isPortvaktError,
  PortvaktError,
  partyInvalid,
  periodInvalid,
} from './errors.js';
export type { AuthorizeOptions } from './express/authorize.js';
export { createErrorHandler } from './express/error-handler.js';
export type { Logger, Observer } from './observe.js';
export type { PortvaktOptions } from './options.js';
export { isValidOrgNo } from './party/orgno.js';
export type { AuditEntry, Operation, PipelineRequest } from './pipeline.js';
export { createPortvakt, type Portvakt } from './portvakt.js';
export { type Problem, ProblemError, toProblem, writeProblem } from './problem.js';
