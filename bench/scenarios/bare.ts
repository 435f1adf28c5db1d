/** Baseline: the same route and body with no authorization at all. */
import express from 'express';
import { serveScenario } from '../lib/server.js';
import { thingsBody } from '../lib/shared.js';

const app = express();
app.disable('x-powered-by');
app.get('/v1/:party/things', (req, res) => {
  res.json(thingsBody(req.params.party));
});
await serveScenario(app);
