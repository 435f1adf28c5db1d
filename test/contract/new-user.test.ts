// What a service owner writes: their own Express app with one secured route, the testing kit's issuer
// and PDP, and contractTest from `portvakt/testing` in a vitest file (the docs show this file).
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPortvakt } from '../../src/index.js';
import {
  contractTest,
  createTestIssuer,
  createTestPdp,
  formatTable,
  type TestIssuer,
  type TestPdp,
  testConfig,
} from '../../src/testing/index.js';

let issuer: TestIssuer;
let pdp: TestPdp;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
  const portvakt = createPortvakt(testConfig(issuer, pdp));
  const app = express();
  app.get(
    '/v1/:party/things',
    portvakt.authorize({ scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' }),
    (req, res) => {
      res.json({ party: req.portvakt?.party, things: ['a thing'] });
    },
  );
  app.use(portvakt.errorHandler());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.close();
  await Promise.all([issuer.close(), pdp.close()]);
});

it('my app passes every case of the authorization matrix', async () => {
  const report = await contractTest({
    spec: new URL('./fixtures/things.openapi.yaml', import.meta.url),
    baseUrl,
    issuer,
    pdp,
  });
  expect(report.failed, formatTable(report)).toBe(0);
  expect(report.results.map((r) => r.case)).toEqual([
    'no-token',
    'malformed-token',
    'expired-token',
    'other-issuer',
    'missing-scope',
    'no-system-user',
    'malformed-party',
    'other-party',
    'pdp-down',
    'permitted',
  ]);
  expect(report.results.every((r) => r.outcome === 'passed')).toBe(true);
});
