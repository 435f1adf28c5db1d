import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { TOKEN_REJECTION_CODES } from '../errors.js';
import type { Observer } from '../observe.js';
import type { RequestDone } from './edge.js';

/** Label for a request no route of the app matched (404s), so raw URLs never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Latency buckets in seconds: the gateway answers in milliseconds, the PDP and upstreams may take seconds. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Label values from Portvakt's hooks are its own fixed words; anything else becomes `other`, so no
 * token, claim or other caller-controlled text can ever reach a label (nor blow up cardinality).
 */
const SAFE_LABEL = /^[a-z_]{1,40}$/;
const safe = (value: string) => (SAFE_LABEL.test(value) ? value : 'other');

export interface GatewayMetrics {
  /** This gateway's own registry (never prom-client's global one: several gateways may share a process). */
  registry: Registry;
  /** Pass to `createPortvakt({ observer })`: token rejections, PDP calls, decision cache lookups, JWKS refreshes. */
  observer: Observer;
  /** Counts and times a finished request by method, route template and status (`createEdge` calls it). */
  requestDone: RequestDone;
  /** Serves `/metrics` in the Prometheus text format. */
  handler: RequestHandler;
}

/**
 * The route a request is labelled with: the Express route template (`/…/:partIdentifikator/krav`),
 * a name a middleware set in `res.locals.metricsRoute` (e.g. static assets), or `unmatched`.
 */
function routeOf(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): string {
  const named = res.locals.metricsRoute;
  if (typeof named === 'string') return named;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  const route = `${req.baseUrl}${path}`;
  return route.length > 1 ? route.replace(/\/$/, '') : route;
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to the end of the response, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const tokenRejections = new Counter({
    name: 'portvakt_token_rejections_total',
    help: `Requests refused for their token, by reason (${TOKEN_REJECTION_CODES.join(', ')}).`,
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const pdpCalls = new Counter({
    name: 'portvakt_pdp_calls_total',
    help: "Calls to Altinn's PDP, by outcome (permit, deny, error).",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const pdpDuration = new Histogram({
    name: 'portvakt_pdp_call_duration_seconds',
    help: "Duration of calls to Altinn's PDP, by outcome.",
    labelNames: ['outcome'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const decisionLookups = new Counter({
    name: 'portvakt_decision_cache_lookups_total',
    help: 'Local decision cache lookups, by status (hit, miss, inflight: joined a PDP call already under way). With Redis, a local miss may still be answered there.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const jwksRefreshes = new Counter({
    name: 'portvakt_jwks_refreshes_total',
    help: "Fetches of the issuer's signing keys, by outcome (ok, error).",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sharedLookups = new Counter({
    name: 'portvakt_decision_shared_cache_lookups_total',
    help: 'Lookups in the Redis decision cache after a local miss, by outcome (hit, miss, malformed, unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sharedErrors = new Counter({
    name: 'portvakt_decision_shared_cache_errors_total',
    help: 'Failed Redis operations of the decision cache, by operation (get, set, connection).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  // Every label exists from the start, so dashboards and alerts see 0 rather than no series.
  for (const reason of TOKEN_REJECTION_CODES) tokenRejections.inc({ reason }, 0);
  for (const outcome of ['hit', 'miss', 'malformed', 'unavailable']) sharedLookups.inc({ outcome }, 0);
  for (const operation of ['get', 'set', 'connection']) sharedErrors.inc({ operation }, 0);
  for (const outcome of ['permit', 'deny', 'error']) pdpCalls.inc({ outcome }, 0);
  for (const status of ['hit', 'miss', 'inflight']) decisionLookups.inc({ status }, 0);
  for (const outcome of ['ok', 'error']) jwksRefreshes.inc({ outcome }, 0);

  const observer: Observer = {
    tokenRejected: (reason) => tokenRejections.inc({ reason: safe(reason) }),
    jwksRefresh: (outcome) => jwksRefreshes.inc({ outcome: safe(outcome) }),
    pdpCall: (outcome, ms) => {
      pdpCalls.inc({ outcome: safe(outcome) });
      pdpDuration.observe({ outcome: safe(outcome) }, ms / 1000);
    },
    decisionLookup: (status) => decisionLookups.inc({ status: safe(status) }),
    sharedCacheLookup: (outcome) => sharedLookups.inc({ outcome: safe(outcome) }),
    sharedCacheError: (operation) => sharedErrors.inc({ operation: safe(operation) }),
  };

  const requestDone: RequestDone = (req, res, _id, ms) => {
    const labels = { method: req.method, route: routeOf(req, res), status: String(res.statusCode) };
    requests.inc(labels);
    duration.observe(labels, ms / 1000);
  };

  const handler: RequestHandler = async (_req, res, next) => {
    try {
      const text = await registry.metrics();
      res.type(registry.contentType).send(text);
    } catch (err) {
      next(err);
    }
  };

  return { registry, observer, requestDone, handler };
}
