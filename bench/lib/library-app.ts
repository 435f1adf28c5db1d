import express, { type Express } from 'express';
import { createPortvakt, type Portvakt, type PortvaktContext } from '../../src/index.js';
import { env } from './server.js';
import { KRAV, thingsBody } from './shared.js';

/**
 * A service owner's app as the README shows it, pointed at the bench's test issuer and PDP (ISSUER, PDP_URL):
 * `GET /v1/:party/things` behind `portvakt.authorize`, refusals through `portvakt.errorHandler()`.
 */
export function createLibraryApp(onPermitted?: (context: PortvaktContext) => void): {
  app: Express;
  portvakt: Portvakt;
} {
  const portvakt = createPortvakt({ issuer: env('ISSUER'), pdpUrl: env('PDP_URL') });
  const app = express();
  app.disable('x-powered-by');
  app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => {
    const context = req.portvakt!;
    onPermitted?.(context);
    res.json(thingsBody(context.party));
  });
  app.use(portvakt.errorHandler());
  return { app, portvakt };
}
