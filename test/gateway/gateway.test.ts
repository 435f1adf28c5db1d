import { describe, expect, it } from 'vitest';
import { API, SECURITY_HEADERS, startGatewayWorld, useGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';

const RORVANN = '310478717';
const EMPTY_PARTY = '314055403'; // a valid organization number with no claims

const world = useGatewayWorld([RORVANN, EMPTY_PARTY]);

describe('Krav og betalinger', () => {
  it('answers open claims for a permitted party', async () => {
    const res = await world().get(`${API}/${RORVANN}/aapnekrav`, world().issuer.token());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.partIdentifikator).toBe(RORVANN);
    expect(res.body.aapentKravMedGjenstaaendeBeloep.length).toBeGreaterThan(0);
    expect(res.body.totalOversikt).toEqual(
      expect.objectContaining({ sumForfalteKrav: expect.any(Number), saldo: expect.any(Number) }),
    );
  });

  it('answers a permitted party with no claims with empty lists and zero sums', async () => {
    const token = world().issuer.token({ org: EMPTY_PARTY });
    const res = await world().get(`${API}/${EMPTY_PARTY}/aapnekrav`, token);
    expect(res.status).toBe(200);
    expect(res.body.aapentKravMedGjenstaaendeBeloep).toEqual([]);
    expect(res.body.totalOversikt.saldo).toBe(0);
  });

  it('answers claims and payments in a period', async () => {
    const token = world().issuer.token();
    const krav = await world().get(`${API}/${RORVANN}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31`, token);
    expect(krav.status).toBe(200);
    expect(krav.body.partIdentifikator).toBe(RORVANN);
    for (const k of krav.body.krav) expect(k.kravforfall >= '2026-01-01' && k.kravforfall <= '2026-12-31').toBe(true);
    const inn = await world().get(`${API}/${RORVANN}/innbetalinger?fraOgMed=2026-01-01&tilOgMed=2026-12-31`, token);
    expect(inn.status).toBe(200);
    expect(Array.isArray(inn.body.innbetalinger)).toBe(true);
  });

  it.each([
    ['missing', ''],
    ['reversed', '?fraOgMed=2026-05-01&tilOgMed=2026-04-01'],
    ['over a year', '?fraOgMed=2025-01-01&tilOgMed=2026-01-01'],
    ['29 February in a common year', '?fraOgMed=2026-02-29&tilOgMed=2026-03-01'],
    ['not a date', '?fraOgMed=yesterday&tilOgMed=2026-03-01'],
    ['repeated', '?fraOgMed=2026-01-01&fraOgMed=2026-02-01&tilOgMed=2026-03-01'],
  ])('refuses a period that is %s with 400 period_invalid before any PDP call', async (_name, query) => {
    const res = await world().get(`${API}/${RORVANN}/krav${query}`, world().issuer.token());
    expectProblem(res, 400, 'period_invalid');
    expect(world().pdp.calls).toHaveLength(0);
  });

  it('checks the token before the period', async () => {
    expectProblem(await world().get(`${API}/${RORVANN}/krav`), 401, 'token_missing');
  });

  it('refuses another party with 403 access_denied', async () => {
    expectProblem(await world().get(`${API}/313367002/aapnekrav`, world().issuer.token()), 403, 'access_denied');
  });

  it('refuses a bad party number with 400 party_invalid', async () => {
    expectProblem(await world().get(`${API}/310478718/aapnekrav`, world().issuer.token()), 400, 'party_invalid');
    expect(world().pdp.calls).toHaveLength(0);
  });
});

describe('the HTTP surface', () => {
  it('answers an unknown route with 404 not_found', async () => {
    expectProblem(await world().get('/nothing/here'), 404, 'not_found');
  });

  it('answers another method on a known route with 405 and Allow', async () => {
    const res = await world().http.post(`${API}/${RORVANN}/aapnekrav`).send({});
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('is live, and ready once the keys are loaded and the store answers', async () => {
    expect((await world().get('/health/live')).status).toBe(200);
    const ready = await world().get('/health/ready');
    expect(ready.status).toBe(200);
  });

  it('serves its openapi.yaml', async () => {
    const res = await world().get('/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.text).toContain('openapi: 3.1');
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const given = await world().get('/health/live').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await world().get('/health/live').set('X-Request-Id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(['/health/live', `${API}/${RORVANN}/aapnekrav`, '/nothing/here'])(
    'sets security headers on %s',
    async (path) => {
      const res = await world().get(path, world().issuer.token());
      expect(res.headers).toMatchObject(SECURITY_HEADERS);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers.etag).toBeUndefined();
    },
  );

  it('writes one audit line per decision and never the token or its signature', async () => {
    const token = world().issuer.token();
    await world().get(`${API}/${RORVANN}/aapnekrav`, token);
    await world().get(`${API}/313367002/aapnekrav`, token);
    const text = world().logs.lines.join('');
    const signature = token.split('.')[2]!;
    expect(text).not.toContain(signature);
    expect(text).not.toContain(token.split('.')[1]!);
    const audits = world()
      .logs.lines.map((l) => JSON.parse(l))
      .filter((l) => l.audit);
    expect(audits.slice(-2).map((a) => [a.audit.party, a.audit.decision])).toEqual([
      [RORVANN, 'Permit'],
      ['313367002', 'Deny'],
    ]);
    expect(audits.at(-1).audit).toEqual(
      expect.objectContaining({
        consumerOrg: '314330897',
        systemId: '314330897_smartregnskap',
        resource: 'ske-krav-og-betalinger',
        action: 'read',
        cached: false,
        ms: expect.any(Number),
      }),
    );
  });

  it('writes one line per request: its id, method, path without the query, status and time', async () => {
    await world()
      .get(`${API}/${RORVANN}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31`, world().issuer.token())
      .set('X-Request-Id', 'trace-krav-1');
    await world().get('/nothing/here?secret=x');
    const requests = world()
      .logs.lines.map((l) => JSON.parse(l))
      .filter((l) => l.req);
    const krav = requests.find((l) => l.req.id === 'trace-krav-1');
    expect(krav).toMatchObject({
      msg: 'request completed',
      level: 30,
      req: { method: 'GET', url: `${API}/${RORVANN}/krav` },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(requests.at(-1)).toMatchObject({ req: { url: '/nothing/here' }, res: { statusCode: 404 } });
    expect(world().logs.lines.join('')).not.toContain('secret=x');
  });
});

describe('readiness', () => {
  it('is 503 while the issuer is unreachable, the gateway keeps running, and it becomes ready when the issuer returns', async () => {
    const down = await startGatewayWorld({ beforeStart: ({ issuer }) => issuer.setJwksMode('down') });
    try {
      expect((await down.get('/health/ready')).status).toBe(503);
      expect((await down.get('/health/live')).status).toBe(200);
      expectProblem(await down.get(`${API}/${RORVANN}/aapnekrav`, down.issuer.token()), 503, 'jwks_unavailable');
      down.issuer.setJwksMode('ok');
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await down.get('/health/ready')).status;
      }
      expect(status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
