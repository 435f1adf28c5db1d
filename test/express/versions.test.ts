/**
 * The adapter on Express 4 and Express 5 alike: the same answers, `req.portvakt` on the request it was given,
 * and no change to either Express's request prototype (two copies of Express in one app must not matter).
 */
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortvakt, type Portvakt } from '../../src/index.js';
import { createTestIssuer, createTestPdp, type TestIssuer, type TestPdp, testConfig } from '../../src/testing/index.js';
import { expectProblem, KRAV, RORVANN, RORVANN_USER } from '../helpers/library-world.js';

let issuer: TestIssuer;
let pdp: TestPdp;
let portvakt: Portvakt;
beforeAll(async () => {
  issuer = await createTestIssuer();
  pdp = await createTestPdp();
  pdp.permit(RORVANN_USER, KRAV.resource, RORVANN);
  portvakt = createPortvakt(testConfig(issuer, pdp));
});
afterAll(() => Promise.all([portvakt.close(), issuer.close(), pdp.close()]));

type AnyExpress = typeof express5;
const versions: Array<[string, AnyExpress]> = [
  ['Express 4', express4 as unknown as AnyExpress],
  ['Express 5', express5],
];

describe.each(versions)('%s', (_name, express) => {
  let app: ReturnType<AnyExpress>;
  let bare: ReturnType<AnyExpress>;
  beforeAll(() => {
    app = express();
    app.get('/v1/:org/things', portvakt.authorize({ ...KRAV, party: (req) => req.params.org }), (req, res) => {
      res.json({ party: req.portvakt?.party, own: Object.hasOwn(req, 'portvakt') });
    });
    app.get('/open', (req, res) => res.json({ portvakt: req.portvakt ?? null }));
    app.use(portvakt.errorHandler());

    // Without Portvakt's error handler: Express's own answers with the refusal's status and headers.
    bare = express();
    bare.get('/v1/:party/things', portvakt.authorize(KRAV), (_req, res) => res.end());
  });

  it('permits with req.portvakt set on the request itself', async () => {
    const res = await request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${issuer.token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ party: RORVANN, own: true });
  });

  it('refuses with problem+json and the Bearer challenge', async () => {
    const res = await request(app).get(`/v1/${RORVANN}/things`);
    expectProblem(res, 401, 'token_missing');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const other = await request(app).get('/v1/313367002/things').set('Authorization', `Bearer ${issuer.token()}`);
    expectProblem(other, 403, 'access_denied');
  });

  it('leaves req.portvakt unset where authorize did not run', async () => {
    expect((await request(app).get('/open')).body).toEqual({ portvakt: null });
  });

  it("gives Express's default error handler the status and WWW-Authenticate", async () => {
    const res = await request(bare).get(`/v1/${RORVANN}/things`).set('Authorization', 'Bearer x.y.z');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it("changes nothing on Express's request prototype", () => {
    expect(Object.getOwnPropertyDescriptor(express.request, 'portvakt')).toBeUndefined();
    expect('portvakt' in express.request).toBe(false);
  });
});
