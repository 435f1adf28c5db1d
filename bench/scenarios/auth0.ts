/**
 * Comparison: auth0's express-oauth2-jwt-bearer (jose, WebCrypto) against the same test issuer, with the
 * scope check, so it does the token half of Portvakt's work (no system user, no PDP).
 */
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { env, serveScenario } from '../lib/server.js';
import { AUTH0_AUDIENCE, KRAV, thingsBody } from '../lib/shared.js';

const app = express();
app.disable('x-powered-by');
app.get(
  '/v1/:party/things',
  auth({ issuerBaseURL: env('ISSUER'), audience: AUTH0_AUDIENCE, tokenSigningAlg: 'RS256' }),
  requiredScopes(KRAV.scope),
  (req, res) => {
    res.json(thingsBody(String(req.params.party)));
  },
);
await serveScenario(app);
