import type { CallerSource, Callers } from './caller/callers.js';
import type { PortvaktContext } from './context.js';
import { accessDenied, insufficientScope, type PortvaktError, systemUserMissing } from './errors.js';
import { parseParty } from './party/orgno.js';
import type { CachedDecision, DecisionCache } from './pdp/decision-cache.js';

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

export interface PipelineDeps {
  /** The token stage: the caller, or a 401/503 refusal. */
  callers: Callers;
  decisions: DecisionCache;
  /** Called with every refusal the pipeline makes itself, before it is thrown (for metrics). */
  refused: (err: PortvaktError) => PortvaktError;
  /** One line per decision; without it the pipeline does no audit work at all (no clock reads, no entry). */
  audit?: ((entry: AuditEntry) => void) | undefined;
}

/** The pipeline: a request and an operation in, the handler's context out, or a thrown PortvaktError. */
export type AuthorizeRequest = (request: PipelineRequest, operation: Operation) => Promise<PortvaktContext>;

/**
 * The authorization pipeline in its fixed order: token (401/503) → scope and system user (403) → party and
 * parameters (400) → PDP decision (403/503). So a bad request never costs a PDP call, and an anonymous caller
 * learns nothing about parameters.
 */
export function createPipeline(deps: PipelineDeps): AuthorizeRequest {
  const { callers, decisions, refused, audit } = deps;

  return async function authorizeRequest(request, operation) {
    const caller = await callers(request);
    // Whole words only: `skatteetaten:kravogbetalinger.admin` is not `skatteetaten:kravogbetalinger`.
    if (!caller.scopes.includes(operation.scope)) throw refused(insufficientScope(operation.scope));
    if (caller.systemUser === undefined) throw refused(systemUserMissing(caller.problem));
    const party = parseParty(request.party);
    request.validate?.();

    const query = { systemUserId: caller.systemUser.id, resource: operation.resource, action: operation.action, party };
    const started = audit ? performance.now() : 0;
    // Without a logger no entry is ever built.
    const note =
      audit &&
      ((decision: string, cached: boolean) =>
        audit({
          consumerOrg: caller.consumerOrgNo,
          systemId: caller.systemId,
          systemUser: query.systemUserId,
          party,
          resource: operation.resource,
          action: operation.action,
          decision,
          cached,
          ms: Math.round((performance.now() - started) * 100) / 100,
        }));
    let outcome: CachedDecision;
    try {
      outcome = await decisions.get(query);
    } catch (err) {
      note?.('error', false);
      throw err;
    }
    note?.(outcome.decision.permit ? 'Permit' : outcome.decision.reason, outcome.cached);
    if (!outcome.decision.permit) throw accessDenied(outcome.decision.detail);
    return {
      party,
      systemUser: caller.systemUser,
      systemId: caller.systemId,
      consumerOrgNo: caller.consumerOrgNo,
      clientId: caller.clientId,
      scopes: [...caller.scopes],
      decision: { cached: outcome.cached },
    };
  };
}
