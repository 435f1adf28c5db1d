import type { ClaimsStore } from '../../claims/store.js';

/** What the gateway runs for one operation of openapi.yaml, keyed there by its operationId. */
export interface ResourceHandler {
  /**
   * Query validation, run after authentication and before the PDP, so a bad request never costs a
   * PDP call. Throws a PortvaktError (400).
   */
  validate?(query: Record<string, unknown>): void;
  /** Answers an authorized request for `party`; the result is sent as JSON with status 200. */
  handle(input: { party: string; query: Record<string, unknown>; store: ClaimsStore }): Promise<unknown>;
}
