// The tester must catch the defects that go wrong in this field. Each target here is the service owner's
// app of new-user.test.ts with one deliberate defect; the report must name the operation, the case and
// what differed.
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortvakt, type PortvaktError } from '../../src/index.js';
import { buildPdpRequest } from '../../src/pdp/request.js';
import {
  type ContractReport,
  contractTest,
  createTestIssuer,
  createTestPdp,
  type TestIssuer,
  type TestPdp,
  testConfig,
  toJUnitXml,
} from '../../src/testing/index.js';
import { expectWellFormedXml } from './xml.js';

const SPEC = new URL('./fixtures/things.openapi.yaml', import.meta.url);
const OPERATION = { scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' };

type Defect = 'none' | 'forgets-scope' | 'text-403' | 'party-after-pdp' | 'body-missing-field';

let issuer: TestIssuer;
let pdp: TestPdp;
const servers: Server[] = [];

beforeAll(async () => {
  [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
});
afterAll(async () => {
  for (const server of servers) server.close();
  await Promise.all([issuer.close(), pdp.close()]);
});

/** The app, with one defect. */
async function startTarget(defect: Defect): Promise<string> {
  const portvakt = createPortvakt(testConfig(issuer, pdp));
  const app = express();
  const bearer = (req: express.Request) => /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const steps: RequestHandler[] = [];
  if (defect === 'forgets-scope') {
    // Authorizes against whatever scope the token happens to carry: the scope check is a no-op.
    steps.push((req, _res, next) => {
      let scope = OPERATION.scope;
      try {
        scope = String(decodeJwt(bearer(req) ?? '').scope ?? scope).split(' ')[0]!;
      } catch {}
      portvakt.authorize({ ...OPERATION, scope })(req, _res, next);
    });
  } else if (defect === 'party-after-pdp') {
    // Asks the PDP about the party as given, and only then lets the pipeline check it.
    steps.push(async (req, _res, next) => {
      try {
        const systemUser = (decodeJwt(bearer(req) ?? '') as { authorization_details?: [{ systemuser_id: [string] }] })
          .authorization_details?.[0]?.systemuser_id[0];
        if (systemUser) {
          const query = { systemUserId: systemUser, resource: OPERATION.resource, action: OPERATION.action };
          await fetch(pdp.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(buildPdpRequest({ ...query, party: String(req.params.party) })),
          });
        }
      } catch {}
      next();
    }, portvakt.authorize(OPERATION));
  } else {
    steps.push(portvakt.authorize(OPERATION));
  }
  app.get('/v1/:party/things', ...steps, (req, res) => {
    res.json(
      defect === 'body-missing-field' ? { party: req.portvakt?.party } : { party: req.portvakt?.party, things: [] },
    );
  });
  if (defect === 'text-403') {
    const plain: ErrorRequestHandler = (err: PortvaktError, _req, res, next) => {
      if (err.status !== 403) return next(err);
      res.status(403).set(err.headers).type('text/plain').send('Forbidden');
    };
    app.use(plain);
  }
  app.use(portvakt.errorHandler());
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function run(defect: Defect): Promise<ContractReport> {
  pdp.reset();
  return contractTest({ spec: SPEC, baseUrl: await startTarget(defect), issuer, pdp });
}
const failures = (report: ContractReport) =>
  Object.fromEntries(report.results.filter((r) => r.outcome === 'failed').map((r) => [r.case, r.message]));

describe('a deliberately broken target fails with a message naming the operation, the case and what differed', () => {
  it('the intact app passes (so each failure below is its defect)', async () => {
    expect(failures(await run('none'))).toEqual({});
  });

  it('a body missing a required field', async () => {
    const report = await run('body-missing-field');
    const xml = toJUnitXml(report);
    expectWellFormedXml(xml);
    expect(xml).toContain(
      '<failure message="listThings › permitted (a permitted system user and party): body: data must have required property &apos;things&apos;',
    );
    expect(failures(report)).toEqual({
      permitted: expect.stringMatching(/^listThings › permitted .*: body: data must have required property 'things'/),
    });
  });

  it('an operation that forgets the scope check', async () => {
    expect(failures(await run('forgets-scope'))).toEqual({
      'missing-scope': expect.stringMatching(
        /^listThings › missing-scope .*: expected 403 insufficient_scope, got 200/,
      ),
    });
  });

  it('a 403 without problem+json', async () => {
    expect(failures(await run('text-403'))).toEqual({
      'missing-scope': expect.stringMatching(
        /^listThings › missing-scope .*text\/plain, not application\/problem\+json/,
      ),
      'no-system-user': expect.stringMatching(
        /^listThings › no-system-user .*text\/plain, not application\/problem\+json/,
      ),
      'other-party': expect.stringMatching(/^listThings › other-party .*text\/plain, not application\/problem\+json/),
    });
  });

  it('a party check after the PDP', async () => {
    const found = failures(await run('party-after-pdp'));
    expect(found['malformed-party']).toMatch(
      /^listThings › malformed-party .*: the PDP was asked 1 time\(s\); this refusal must come before any PDP call/,
    );
  });
});
