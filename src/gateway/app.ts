import express, { type Express, type Request } from 'express';
import { claimsUnavailable, isClaimsOutage } from '../claims/errors.js';
import type { ClaimsStore } from '../claims/store.js';
import { type AppLogger, namedFieldsLogger } from '../log.js';
import type { Portvakt } from '../portvakt.js';
import { httpProblem, ProblemError } from '../problem.js';
import { MAX_BODY_BYTES } from './body-limit.js';
import { mountDocs } from './docs.js';
import { createEdge } from './edge.js';
import { gatewayProblem } from './errors.js';
import type { ResourceHandler } from './handlers/types.js';
import { createGatewayMetrics, type GatewayMetrics, UNMATCHED_ROUTE } from './metrics.js';
import type { LoadedSpec, SpecOperation } from './openapi.js';
import { createProxyHandler } from './proxy.js';
import { createQueryValidator } from './query-validator.js';
import { requestLine } from './request-log.js';

export interface GatewayAppOptions {
  portvakt: Portvakt;
  spec: LoadedSpec;
  handlers: Record<string, ResourceHandler>;
  store: ClaimsStore;
  logger: AppLogger;
  /**
   * This gateway's metrics; its `observer` should be the one given to `createPortvakt`.
   * Default: a fresh set (request metrics only, as nothing feeds Portvakt's hooks into it).
   */
  metrics?: GatewayMetrics;
  /** Deadlines of proxied operations (`x-portvakt-upstream`), in milliseconds; see `ProxyOptions`. */
  upstream?: UpstreamDeadlines;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Express's `trust proxy`: the hops (a number) or addresses/CIDRs (a list) whose `X-Forwarded-*` the
   * gateway believes when it writes `Forwarded` and `X-Forwarded-*` for an upstream. Default: none.
   */
  trustProxy?: TrustProxy;
}

/** Which previous hops may be believed about the client: a hop count, or addresses, CIDRs and Express's names. */
export type TrustProxy = number | string[];

export interface UpstreamDeadlines {
  /** Until the upstream's status line, from the start of the request. Default 10000. */
  headersTimeoutMs?: number;
  /** Longest silence in the upstream's body. Default 10000. */
  bodyIdleTimeoutMs?: number;
  /** The whole exchange. Default 30000. */
  totalTimeoutMs?: number;
  /** Longest silence in the client's request body. Default 10000. */
  requestBodyIdleTimeoutMs?: number;
}

type RouteMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';

/**
 * The store as handlers see it: a store failure that is an outage (database down, connection lost,
 * SQLSTATE class 08/53/57/58 — see `isClaimsOutage`) becomes 503 `claims_unavailable` with
 * Retry-After. Only rejections of store calls are mapped, so a bug in a handler's own code stays a
 * 500; a ProblemError (the store may already throw `claimsUnavailable`) and programming errors
 * (TypeError, RangeError, SQL errors such as an undefined column) pass through unchanged.
 */
function outageMappedStore(store: ClaimsStore): ClaimsStore {
  const mapped =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      call(...args).catch((err: unknown) => {
        throw !(err instanceof ProblemError) && isClaimsOutage(err) ? claimsUnavailable(err) : err;
      });
  return {
    aapneKrav: mapped((party) => store.aapneKrav(party)),
    krav: mapped((party, periode) => store.krav(party, periode)),
    innbetalinger: mapped((party, periode) => store.innbetalinger(party, periode)),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/**
 * Mounts one secured operation: authorization, then its `x-portvakt-upstream` (proxy mode) or its
 * local resource handler, keyed by operationId. An operation with neither is a start-up error.
 */
function mountOperation(app: Express, operation: SpecOperation, options: GatewayAppOptions, store: ClaimsStore) {
  const { portvakt, handlers } = options;
  const route = app.route(operation.expressPath);
  const method = operation.method as RouteMethod;
  const party = (req: Request) => req.params[operation.partyParam] as string | undefined;
  // Parameters are checked from the spec after the token and party, before the PDP (docs/design.md, the pipeline).
  const queryValid = createQueryValidator(operation.queryParameters);
  const checkQuery = queryValid && ((req: Request) => queryValid(req.query as Record<string, unknown>));
  const common = { scope: operation.scope, resource: operation.resource, action: operation.action, party };
  if (operation.upstream) {
    const proxy = createProxyHandler({
      ...options.upstream,
      upstream: operation.upstream,
      maxBodyBytes: options.maxBodyBytes,
      allowResponseHeaders: operation.responseHeaders,
    });
    route[method](portvakt.authorize({ ...common, validate: checkQuery }), proxy);
    return;
  }
  const handler = handlers[operation.operationId];
  if (!handler) throw new Error(`${operation.operationId}: no resource handler (and no x-portvakt-upstream)`);
  const handlerCheck = handler.validate;
  // The handler's own rules first (e.g. period_invalid for the period), then the spec's.
  const authorize = portvakt.authorize({
    ...common,
    validate: (req) => {
      handlerCheck?.(req.query as Record<string, unknown>);
      checkQuery?.(req);
    },
  });
  route[method](authorize, async (req, res) => {
    const body = await handler.handle({
      party: req.portvakt!.party,
      query: req.query as Record<string, unknown>,
      store,
    });
    res.json(body);
  });
}

/** The gateway: every secured operation of openapi.yaml behind Portvakt, plus health and docs. */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const { portvakt, spec, store, logger } = options;
  const metrics = options.metrics ?? createGatewayMetrics();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // openapi.yaml's paths are case-sensitive; Express's default would also serve `/AAPNEKRAV`, a surface no spec describes.
  app.set('case sensitive routing', true);
  // Only what TRUST_PROXY names: by default no client can tell the upstream where it came from.
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(
    createEdge({
      done: [metrics.requestDone, requestLine(namedFieldsLogger(logger))],
      maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    }),
  );

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'up' });
  });
  app.get('/health/ready', async (_req, res) => {
    const checks = {
      jwks: portvakt.keysLoaded,
      claims: await store.ping().then(
        () => true,
        () => false,
      ),
    };
    res
      .status(checks.jwks && checks.claims ? 200 : 503)
      .json({ status: checks.jwks && checks.claims ? 'ready' : 'not ready', checks });
  });
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(spec.text);
  });

  app.get('/metrics', metrics.handler);
  mountDocs(app);

  const handlerStore = outageMappedStore(store);
  for (const operation of spec.operations) mountOperation(app, operation, options, handlerStore);

  for (const [path, methods] of spec.paths) {
    app.all(path, (req, _res, next) => {
      // A method the path offers got here because its handler passed (e.g. an unknown /docs file): 404.
      if (methods.includes(req.method)) return next();
      next(
        gatewayProblem('method_not_allowed', 'This method is not allowed on this resource.', {
          headers: { Allow: methods.join(', ') },
        }),
      );
    });
  }
  app.use((_req, res, next) => {
    res.locals.metricsRoute = UNMATCHED_ROUTE;
    next(httpProblem('not_found', 'No such resource.'));
  });
  app.use(portvakt.errorHandler());
  return app;
}
