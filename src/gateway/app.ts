import { randomUUID } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import { pinoHttp } from 'pino-http';
import type { ClaimsStore } from '../claims/store.js';
import { PortvaktError } from '../errors.js';
import type { AppLogger } from '../log.js';
import type { Portvakt } from '../portvakt.js';
import type { ResourceHandler } from './handlers/types.js';
import type { LoadedSpec, SpecOperation } from './openapi.js';

export interface GatewayAppOptions {
  portvakt: Portvakt;
  spec: LoadedSpec;
  handlers: Record<string, ResourceHandler>;
  store: ClaimsStore;
  logger: AppLogger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Security headers for a JSON API (no HTML but /docs): nothing may frame, sniff or cache it. */
function securityHeaders(_req: Request, res: express.Response, next: express.NextFunction) {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Cache-Control', 'no-store');
  next();
}

function mountOperation(app: Express, operation: SpecOperation, options: GatewayAppOptions) {
  const { portvakt, handlers, store } = options;
  const handler = handlers[operation.operationId];
  if (!handler) throw new Error(`${operation.operationId}: no resource handler (and no x-portvakt-upstream)`);
  const validate = handler.validate;
  const authorize = portvakt.authorize({
    scope: operation.scope,
    resource: operation.resource,
    action: operation.action,
    party: (req) => req.params[operation.partyParam] as string | undefined,
    validate: validate && ((req) => validate(req.query as Record<string, unknown>)),
  });
  app.get(operation.expressPath, authorize, async (req, res) => {
    const body = await handler.handle({
      party: req.portvakt.party,
      query: req.query as Record<string, unknown>,
      store,
    });
    res.json(body);
  });
}

/** The gateway: every secured operation of openapi.yaml behind Portvakt, plus health and docs. */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const { portvakt, spec, store, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => res.getHeader('x-request-id') as string,
      // Only what operations need: never headers wholesale (they carry the token).
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(securityHeaders);

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

  for (const operation of spec.operations) mountOperation(app, operation, options);

  for (const [path, methods] of spec.paths) {
    app.all(path, (_req, _res, next) => {
      next(
        new PortvaktError('method_not_allowed', 'This method is not allowed on this resource.', {
          headers: { Allow: methods.join(', ') },
        }),
      );
    });
  }
  app.use((_req, _res, next) => next(new PortvaktError('not_found', 'No such resource.')));
  app.use(portvakt.errorHandler());
  return app;
}
