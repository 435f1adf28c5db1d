import type { PortvaktContext } from './context.js';
import { accessDenied, insufficientScope } from './errors.js';
import { parseParty } from './party/orgno.js';
import type { DecisionCache } from './pdp/decision-cache.js';
import type { Decision } from './pdp/response.js';
import { readSystemUser } from './systemuser/claims.js';
import { extractBearer } from './token/extract.js';
import { scopesOfClaims } from './token/scope.js';
import { checkClaims, type TokenClaims, type TokenVerifierOptions } from './token/verify.js';

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
export interface PipelineRequest {
  /** The raw Authorization header value. */
  authorization: string | undefined;
  /** Claims some earlier middleware already verified (express-jwt's `req.auth`): re-checked, not re-verified. */
  verifiedClaims?: TokenClaims | undefined;
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
  verifyToken: (token: string) => Promise<TokenClaims>;
  /** Synchronously: the claims of a token verified before, or undefined. */
  peekToken?: (token: string) => TokenClaims | undefined;
  claimRules: TokenVerifierOptions;
  decisions: DecisionCache;
  /** One line per decision; without it the pipeline does no audit work at all (no clock reads, no entry). */
  audit?: ((entry: AuditEntry) => void) | undefined;
  now?: () => number;
}

/**
 * The authorization pipeline of contract §3, in its fixed order: token (401/503) → scope and
 * system user (403) → party and parameters (400) → PDP decision (403/503). Throws PortvaktError.
 */
export function createPipeline(deps: PipelineDeps) {
  const now = deps.now ?? Date.now;

  /**
   * The pipeline, synchronous as far as the caches allow: a remembered token and a cached decision
   * answer in the same tick, with no promise made; anything else continues asynchronously.
   * Refusals are thrown (synchronously) or rejected (asynchronously).
   */
  function authorize(request: PipelineRequest, operation: Operation): PortvaktContext | Promise<PortvaktContext> {
    if (request.verifiedClaims !== undefined) {
      // The signature was checked upstream; issuer, lifetime and audience are re-checked against our rules.
      checkClaims(request.verifiedClaims, deps.claimRules, now());
      return admit(request.verifiedClaims, request, operation);
    }
    const token = extractBearer(request.authorization);
    const remembered = deps.peekToken?.(token);
    if (remembered !== undefined) return admit(remembered, request, operation);
    return deps.verifyToken(token).then((claims) => admit(claims, request, operation));
  }

  /** Scope and system user (403), party and parameters (400), then the decision. */
  function admit(claims: TokenClaims, request: PipelineRequest, operation: Operation) {
    // Whole words only: `skatteetaten:kravogbetalinger.admin` is not `skatteetaten:kravogbetalinger`.
    const scopes = scopesOfClaims(claims);
    if (!scopes.includes(operation.scope)) throw insufficientScope(operation.scope);
    const subject = readSystemUser(claims);
    const party = parseParty(request.party);
    request.validate?.();

    const started = deps.audit ? performance.now() : 0;
    const query = {
      systemUserId: subject.systemUser.id,
      resource: operation.resource,
      action: operation.action,
      party,
    };
    // An optional call: without a logger the entry is never built.
    const audit = (decision: string, cached: boolean) =>
      deps.audit?.({
        consumerOrg: subject.consumerOrgNo,
        systemId: subject.systemId,
        systemUser: subject.systemUser.id,
        party,
        resource: operation.resource,
        action: operation.action,
        decision,
        cached,
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    const decided = (decision: Decision, cached: boolean): PortvaktContext => {
      audit(decision.permit ? 'Permit' : decision.reason, cached);
      if (!decision.permit) throw accessDenied(decision.detail);
      // Field by field rather than a spread of `subject`: this runs on every permitted request.
      return {
        party,
        systemUser: subject.systemUser,
        systemId: subject.systemId,
        consumerOrgNo: subject.consumerOrgNo,
        clientId: subject.clientId,
        scopes: [...scopes],
        decision: { cached },
      };
    };
    const fresh = deps.decisions.peek(query);
    if (fresh !== undefined) return decided(fresh, true);
    return deps.decisions.get(query).then(
      (result) => decided(result.decision, result.cached),
      (err: unknown) => {
        audit('error', false);
        throw err;
      },
    );
  }

  return authorize;
}

/** The pipeline as callers see it: a context now when the caches allow, a promise otherwise. */
export type AuthorizeRequestSync = ReturnType<typeof createPipeline>;
/** The pipeline, always as a promise (the public `authorizeRequest`). */
export type AuthorizeRequest = (request: PipelineRequest, operation: Operation) => Promise<PortvaktContext>;
