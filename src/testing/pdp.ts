import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecisionQuery } from '../context.js';
import {
  BodyTooLargeError,
  headerRecord,
  type LocalServer,
  readBody,
  send,
  sendJson,
  startLocalServer,
} from './http.js';
import { type Casing, decisionResponse, parseDecisionRequest, type ResultSpec } from './xacml.js';

export const PDP_PATH = '/authorization/api/v1/authorize';

/**
 * How the PDP behaves:
 * - `'normal'`: decides from `permit`/`revoke` records;
 * - `'error'`: HTTP 500 problem+json;
 * - `'garbage'`: HTTP 200 `application/json` whose body is not JSON;
 * - `'slow'`: answers normally after `delayMs`;
 * - `'hang'`: never answers;
 * - `'indeterminate'`: HTTP 200 with Decision `Indeterminate` (how Altinn's PDP reports its own failures);
 * - `'reset'`: destroys the connection without an answer;
 * - `'empty'`: HTTP 200 `{ Response: [] }`;
 * - `'two-results'`: HTTP 200 with two Permit results;
 * - `'odd-decision'`: HTTP 200 with Decision `permit` (lower case: not a valid decision).
 */
export type PdpMode =
  | 'normal'
  | 'error'
  | 'garbage'
  | 'slow'
  | 'hang'
  | 'indeterminate'
  | 'reset'
  | 'empty'
  | 'two-results'
  | 'odd-decision';

/** The decision for anything not permitted. */
export type DefaultDecision = 'Deny' | 'NotApplicable';

export interface PdpModeOptions {
  /** Delay before a `'slow'` answer, in milliseconds. Default 1000. */
  delayMs?: number;
}

export interface PermitOptions {
  /** Obligations sent with the Permit, e.g. `[minimumAuthenticationLevel(3)]`, or any JSON to test odd ones. */
  obligations?: readonly object[];
}

export interface TestPdpOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /** Decision for requests nothing permits. Default `'Deny'`. */
  defaultDecision?: DefaultDecision;
  /** Property-name casing of answers. Default `'pascal'` (the XACML profile); `'camel'` is what Altinn sends. */
  casing?: Casing;
  /** When set, a request without this `Ocp-Apim-Subscription-Key` gets 401, as Altinn's API gateway answers. */
  subscriptionKey?: string;
  /** When set, a request without `Authorization: Bearer <bearerToken>` gets 401 (to test PEP credentials). */
  bearerToken?: string;
}

/** One request the PDP received, in arrival order. */
export interface PdpCall {
  /** The parsed JSON body; `undefined` when it was not JSON. */
  body: unknown;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** What was asked; `undefined` when the request was not a valid §5 request (it got 400). */
  query: DecisionQuery | undefined;
  /** The Decision answered (also in decision-shaping fault modes); absent when no decision was sent. */
  decision?: string;
}

/** An in-process Altinn PDP (`POST /authorization/api/v1/authorize`) that decides from recorded grants. */
export interface TestPdp {
  /** Full URL of the authorize endpoint, as `pdpUrl` / `ALTINN_PDP_URL` take it. */
  readonly url: string;
  /** The subscription key it demands (option `subscriptionKey`), for wiring the client under test. */
  readonly subscriptionKey: string | undefined;
  /** Every request received (live array; `reset()` empties it). */
  readonly calls: readonly PdpCall[];
  /** Let `systemUser` do `action` (default `'read'`) on `resource` for the organization `party`. */
  permit(systemUser: string, resource: string, party: string, action?: string, options?: PermitOptions): void;
  /**
   * Removes grants of `systemUser`; each further argument narrows which (omitted = any), so
   * `revoke(id)` removes all of them. Returns how many were removed.
   */
  revoke(systemUser: string, resource?: string, party?: string, action?: string): number;
  setDefault(decision: DefaultDecision): void;
  setCasing(casing: Casing): void;
  setMode(mode: PdpMode, options?: PdpModeOptions): void;
  /** Forgets grants and calls; mode, casing and default decision back to their initial values. */
  reset(): void;
  /** Stops the server and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

interface Grant extends DecisionQuery {
  obligations: readonly object[];
}

const DEFAULT_DELAY_MS = 1000;

export async function createTestPdp(options: TestPdpOptions = {}): Promise<TestPdp> {
  const grants = new Map<string, Grant>();
  const calls: PdpCall[] = [];
  const initial = {
    mode: 'normal' as PdpMode,
    delayMs: DEFAULT_DELAY_MS,
    casing: options.casing ?? 'pascal',
    fallback: options.defaultDecision ?? 'Deny',
  };
  let state = { ...initial };

  const decide = (query: DecisionQuery): ResultSpec => {
    const grant = grants.get(grantKey(query));
    return grant ? { decision: 'Permit', obligations: grant.obligations } : { decision: state.fallback };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== PDP_PATH) return sendJson(res, 404, { status: 404 });
    if (req.method !== 'POST') return sendJson(res, 405, { status: 405 }, { allow: 'POST' });
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return problem(res, 413, 'Payload Too Large');
      throw err;
    }
    const body = parseJson(raw);
    const parsed = parseDecisionRequest(body);
    const call: PdpCall = { body, headers: headerRecord(req), query: parsed.ok ? parsed.query : undefined };
    calls.push(call);

    const refusal = gatewayRefusal(call.headers, options);
    if (refusal) return sendJson(res, 401, refusal.body, refusal.headers);

    const { mode } = state;
    if (applyTransportFault(mode, req, res)) return;

    const answer = (fn: () => void) => (mode === 'slow' ? server.later(state.delayMs, fn) : fn());
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(call.headers['content-type'] ?? '')) {
      return answer(() => problem(res, 415, 'Unsupported Media Type'));
    }
    if (!parsed.ok) {
      return answer(() => problem(res, 400, 'One or more validation errors occurred.', { errors: parsed.errors }));
    }
    const results = shapeResults(mode, decide(parsed.query));
    call.decision = results[0]?.decision;
    const casing = state.casing;
    answer(() => sendJson(res, 200, decisionResponse(results, casing)));
  };
  const server: LocalServer = await startLocalServer(handle, options.port);

  return {
    url: `${server.origin}${PDP_PATH}`,
    subscriptionKey: options.subscriptionKey,
    calls,
    permit(systemUser, resource, party, action = 'read', permitOptions = {}) {
      const query = { systemUserId: systemUser, resource, party, action };
      grants.set(grantKey(query), { ...query, obligations: permitOptions.obligations ?? [] });
    },
    revoke(systemUser, resource, party, action) {
      let removed = 0;
      for (const [key, grant] of grants) {
        const matches =
          sameUuid(grant.systemUserId, systemUser) &&
          (resource === undefined || grant.resource === resource) &&
          (party === undefined || grant.party === party) &&
          (action === undefined || grant.action === action);
        if (matches && grants.delete(key)) removed += 1;
      }
      return removed;
    },
    setDefault(decision) {
      state.fallback = decision;
    },
    setCasing(casing) {
      state.casing = casing;
    },
    setMode(mode, modeOptions = {}) {
      state.mode = mode;
      state.delayMs = modeOptions.delayMs ?? DEFAULT_DELAY_MS;
    },
    reset() {
      grants.clear();
      calls.length = 0;
      state = { ...initial };
    },
    close: () => server.close(),
  };
}

/** The modes that fail before the request is looked at; true when one did. */
function applyTransportFault(mode: PdpMode, req: IncomingMessage, res: ServerResponse): boolean {
  switch (mode) {
    case 'reset':
      req.socket.destroy();
      return true;
    case 'hang':
      return true;
    case 'error':
      problem(res, 500, 'An error occurred while processing your request.');
      return true;
    case 'garbage':
      send(res, 200, '<html>Service temporarily unavailable', { 'content-type': 'application/json' });
      return true;
    default:
      return false;
  }
}

/** The modes that answer 200 with a wrong-shaped or failed decision replace the real one. */
function shapeResults(mode: PdpMode, decided: ResultSpec): ResultSpec[] {
  switch (mode) {
    case 'indeterminate':
      return [{ decision: 'Indeterminate' }];
    case 'empty':
      return [];
    case 'two-results':
      return [{ decision: 'Permit' }, { decision: 'Permit' }];
    case 'odd-decision':
      return [{ decision: 'permit' }];
    default:
      return [decided];
  }
}

/** Uuids compare case-insensitively (RFC 9562 §4); the other parts exactly, as Altinn matches them. */
function grantKey(query: DecisionQuery): string {
  return JSON.stringify([query.systemUserId.toLowerCase(), query.resource, query.party, query.action]);
}

function sameUuid(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The 401s Azure API Management (in front of Altinn) and the platform's bearer check give. */
function gatewayRefusal(
  headers: Record<string, string>,
  options: TestPdpOptions,
): { body: unknown; headers: Record<string, string> } | undefined {
  const key = headers['ocp-apim-subscription-key'];
  if (options.subscriptionKey !== undefined && key !== options.subscriptionKey) {
    const message =
      key === undefined
        ? 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.'
        : 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';
    return { body: { statusCode: 401, message }, headers: {} };
  }
  const match = /^bearer (.+)$/i.exec(headers.authorization ?? '');
  if (options.bearerToken !== undefined && match?.[1] !== options.bearerToken) {
    return { body: { status: 401, title: 'Unauthorized' }, headers: { 'www-authenticate': 'Bearer' } };
  }
  return undefined;
}

/** ASP.NET-style problem details, as the real PDP answers errors. */
function problem(res: ServerResponse, status: number, title: string, extra: Record<string, unknown> = {}): void {
  sendJson(
    res,
    status,
    { type: `https://tools.ietf.org/html/rfc9110`, title, status, ...extra },
    {
      'content-type': 'application/problem+json; charset=utf-8',
    },
  );
}
