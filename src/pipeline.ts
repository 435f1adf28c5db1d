import type { Caller } from './caller/caller.js';
import type { CallerSource, Callers } from './caller/callers.js';
import type { DecisionQuery, PortvaktContext } from './context.js';
import { accessDenied, insufficientScope, type PortvaktError, systemUserMissing } from './errors.js';
import type { Logger } from './observe.js';
import { parseParty } from './party/orgno.js';
import type { DecisionCache } from './pdp/decision-cache.js';
import type { Decision } from './pdp/response.js';

/** What an operation requires: the token's scope and the PDP's resource and action. */
export interface Operation {
  /** Scope the token must hold as a whole word, e.g. `skatteetaten:kravogbetalinger`. */
  scope: string;
  /** Altinn resource id, e.g. `ske-krav-og-betalinger`. */
  resource: string;
  /** XACML action, e.g. `read`. */
  action: string;
}

/** The framework-free request shape the pipeline works on. */
export interface PipelineRequest extends CallerSource {
  /** The party as the request names it (unvalidated). */
  party: unknown;
  /** More parameter checks, run after the party and before the PDP so a bad request never costs a PDP call. */
  validate?: (() => void) | undefined;
}

export interface AuditEntry {
  consumerOrg: string | undefined;
  systemId: string;
  systemUser: string;
  party: string;
  resource: string;
  action: string;
  decision: string;
  cached: boolean;
  ms: number;
}

/** The audit line Portvakt writes unless told otherwise: `{ audit: entry }` at `info`, "authorization decision". */
export const auditLine =
  (logger: Pick<Logger, 'info'>) =>
  (entry: AuditEntry): void =>
    logger.info({ audit: entry }, 'authorization decision');

export interface PipelineDeps {
  /** The token stage: the caller, or a 401/503 refusal. */
  callers: Callers;
  decisions: DecisionCache;
  /** Called with every refusal the pipeline makes itself, before it is thrown (for metrics). */
  refused: (err: PortvaktError) => PortvaktError;
  /** One line per decision; without it the pipeline does no audit work at all (no clock reads, no entry). */
  audit?: ((entry: AuditEntry) => void) | undefined;
}

/** The pipeline as the public API offers it: the handler's context, or a rejected PortvaktError. */
export type AuthorizeRequest = (request: PipelineRequest, operation: Operation) => Promise<PortvaktContext>;

/**
 * The pipeline as the adapter calls it: the context at once when the token is remembered and the decision
 * cached (the common case, with no promise made), a promise otherwise. Refusals are thrown or rejected.
 */
export type Pipeline = (request: PipelineRequest, operation: Operation) => PortvaktContext | Promise<PortvaktContext>;

/** A caller that holds a system user: the only kind that reaches the PDP. */
type AdmittedCaller = Caller & { systemUser: object };

/**
 * The authorization pipeline in its fixed order: token (401/503) → scope and system user (403) → party and
 * parameters (400) → PDP decision (403/503). So a bad request never costs a PDP call, and an anonymous caller
 * learns nothing about parameters.
 *
 * The one place that answers in the same tick: a request whose token is remembered and whose decision is cached
 * makes no promise, worth a few per cent of the benchmark's hot path (docs/design.md, "The same-tick path").
 * Everything else continues asynchronously.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { callers, decisions, refused, audit } = deps;

  /** The audit line of one decision; only made when there is an audit sink. */
  const note =
    audit &&
    ((caller: AdmittedCaller, query: DecisionQuery, decision: string, cached: boolean, started: number) =>
      audit({
        consumerOrg: caller.consumerOrgNo,
        systemId: caller.systemId,
        systemUser: query.systemUserId,
        party: query.party,
        resource: query.resource,
        action: query.action,
        decision,
        cached,
        ms: Math.round((performance.now() - started) * 100) / 100,
      }));

  function decided(
    caller: AdmittedCaller,
    query: DecisionQuery,
    decision: Decision,
    cached: boolean,
    started: number,
  ): PortvaktContext {
    note?.(caller, query, decision.permit ? 'Permit' : decision.reason, cached, started);
    if (!decision.permit) throw accessDenied(decision.detail);
    return {
      party: query.party,
      systemUser: caller.systemUser,
      systemId: caller.systemId,
      consumerOrgNo: caller.consumerOrgNo,
      clientId: caller.clientId,
      scopes: [...caller.scopes],
      decision: { cached },
    };
  }

  function admit(caller: Caller, request: PipelineRequest, operation: Operation) {
    // Whole words only: `skatteetaten:kravogbetalinger.admin` is not `skatteetaten:kravogbetalinger`.
    if (!caller.scopes.includes(operation.scope)) throw refused(insufficientScope(operation.scope));
    if (caller.systemUser === undefined) throw refused(systemUserMissing(caller.problem));
    const party = parseParty(request.party);
    request.validate?.();

    const query = { systemUserId: caller.systemUser.id, resource: operation.resource, action: operation.action, party };
    // Without an audit sink no clock is read and no entry is built.
    const started = audit ? performance.now() : 0;
    const fresh = decisions.fresh(query);
    if (fresh !== undefined) return decided(caller, query, fresh, true, started);
    return decisions.get(query).then(
      (outcome) => decided(caller, query, outcome.decision, outcome.cached, started),
      (err: unknown) => {
        note?.(caller, query, 'error', false, started);
        throw err;
      },
    );
  }

  return (request, operation) => {
    const caller = callers(request);
    return caller instanceof Promise
      ? caller.then((known) => admit(known, request, operation))
      : admit(caller, request, operation);
  };
}
