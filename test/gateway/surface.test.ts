import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimsUnavailable } from '../../src/claims/errors.js';
import type { ClaimsStore } from '../../src/claims/store.js';
import { API, type GatewayWorld, sharedClaimsStore, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';

const RORVANN = '310478717';

/** A store that fails on demand, as a database that went away (or a bug in the store) would. */
function createFaultyStore(real: ClaimsStore) {
  let fault: (() => Error) | undefined;
  const guarded =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      if (fault) throw fault();
      return call(...args);
    };
  const store: ClaimsStore = {
    aapneKrav: guarded((party) => real.aapneKrav(party)),
    krav: guarded((party, periode) => real.krav(party, periode)),
    innbetalinger: guarded((party, periode) => real.innbetalinger(party, periode)),
    ping: guarded(() => real.ping()),
    close: async () => undefined,
  };
  return {
    store,
    fail(make: (() => Error) | undefined) {
      fault = make;
    },
  };
}

let world: GatewayWorld;
let faulty: ReturnType<typeof createFaultyStore>;
beforeAll(async () => {
  faulty = createFaultyStore(await sharedClaimsStore());
  world = await startGatewayWorld({ gateway: { store: faulty.store } });
});
afterAll(() => world.close());
beforeEach(() => {
  faulty.fail(undefined);
  world.pdp.reset();
  world.permit(RORVANN);
  world.gateway.portvakt.clearDecisions();
});

/** One sample's value from the Prometheus text, e.g. `metric('portvakt_pdp_calls_total{outcome="permit"}')`. */
async function metrics() {
  const res = await world.get('/metrics');
  expect(res.status).toBe(200);
  return (series: string) => {
    const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
}

describe('/metrics', () => {
  it('counts requests by route template and status, and labels unknown routes unmatched', async () => {
    const token = world.issuer.token();
    await world.get(`${API}/${RORVANN}/aapnekrav`, token).expect(200);
    await world.get(`${API}/313367002/aapnekrav`, token).expect(403);
    await world.get('/no/such/path/310478717').expect(404);
    const metric = await metrics();
    const route = '/api/innkreving/kravogbetalinger/v1/:partIdentifikator/aapnekrav';
    expect(metric(`http_requests_total{method="GET",route="${route}",status="200"}`)).toBeGreaterThanOrEqual(1);
    expect(metric(`http_requests_total{method="GET",route="${route}",status="403"}`)).toBeGreaterThanOrEqual(1);
    expect(metric('http_requests_total{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(
      metric(`http_request_duration_seconds_count{method="GET",route="${route}",status="200"}`),
    ).toBeGreaterThanOrEqual(1);
    expect(metric('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it("feeds Portvakt's hooks: token rejections, PDP calls, decision cache lookups, JWKS refreshes", async () => {
    const token = world.issuer.token();
    await world.get(`${API}/${RORVANN}/aapnekrav`).expect(401);
    await world.get(`${API}/${RORVANN}/aapnekrav`, world.issuer.forge.expired()).expect(401);
    await world.get(`${API}/${RORVANN}/aapnekrav`, token).expect(200);
    await world.get(`${API}/${RORVANN}/aapnekrav`, token).expect(200);
    const metric = await metrics();
    expect(metric('portvakt_token_rejections_total{reason="token_missing"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_token_rejections_total{reason="token_invalid"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_pdp_calls_total{outcome="permit"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_pdp_call_duration_seconds_count{outcome="permit"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_decision_cache_lookups_total{status="miss"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_decision_cache_lookups_total{status="hit"}')).toBeGreaterThanOrEqual(1);
    expect(metric('portvakt_jwks_refreshes_total{outcome="ok"}')).toBeGreaterThanOrEqual(1);
  });

  it('never carries a token, nor a raw URL of an unknown route, in a label', async () => {
    const token = world.issuer.token();
    await world.get(`/nowhere/${token}`).expect(404);
    const res = await world.get('/metrics');
    expect(res.text).not.toContain(token.split('.')[2]!);
    expect(res.text).not.toContain('/nowhere');
  });

  it('keeps each gateway’s metrics apart (one registry per instance)', async () => {
    const other = await startGatewayWorld();
    try {
      const text = (await other.get('/metrics')).text;
      expect(text).not.toMatch(/portvakt_pdp_calls_total\{outcome="permit"\} [1-9]/);
    } finally {
      await other.close();
    }
  });
});

describe('/docs', () => {
  it('serves a page with no inline script, its own CSP, and its assets from this gateway', async () => {
    const page = await world.get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).not.toMatch(/<script>(?!<)/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources).toContain('/docs/init.js');
    for (const source of sources) expect((await world.get(source)).status).toBe(200);
    const init = await world.get('/docs/init.js');
    expect(init.text).toContain('"/openapi.yaml"');
    expect(init.text).toContain('validatorUrl: null');
    // The rest of the gateway keeps the strict policy.
    expect((await world.get('/health/live')).headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it('serves only the whitelisted swagger-ui files', async () => {
    expectProblem(await world.get('/docs/index.html'), 404, 'not_found');
    expectProblem(await world.get('/docs/package.json'), 404, 'not_found');
    expectProblem(await world.get('/docs/..%2Fpackage.json'), 404, 'not_found');
  });
});

describe('request limits and methods', () => {
  it('refuses a body over 1 MiB with 413 payload_too_large before any token check', async () => {
    const res = await world.http
      .post(`${API}/${RORVANN}/aapnekrav`)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(1024 * 1024 + 1));
    expectProblem(res, 413, 'payload_too_large');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await world.http
      .head(`${API}/${RORVANN}/aapnekrav`)
      .set('Authorization', `Bearer ${world.issuer.token()}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text ?? '').toBe('');
    expect((await world.http.head('/metrics')).status).toBe(200);
  });

  it('answers an unknown method on a known route with 405 and Allow', async () => {
    const res = await world.http.delete('/metrics');
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('claims store failures', () => {
  it('answers 503 claims_unavailable with Retry-After when the database is out of reach', async () => {
    const token = world.issuer.token();
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    faulty.fail(refused);
    const res = await world.get(`${API}/${RORVANN}/aapnekrav`, token);
    expectProblem(res, 503, 'claims_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).not.toContain('ECONNREFUSED');
    faulty.fail(() =>
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    );
    expectProblem(
      await world.get(`${API}/${RORVANN}/krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31`, token),
      503,
      'claims_unavailable',
    );
    faulty.fail(() => claimsUnavailable(refused()));
    expectProblem(
      await world.get(`${API}/${RORVANN}/innbetalinger?fraOgMed=2026-01-01&tilOgMed=2026-12-31`, token),
      503,
      'claims_unavailable',
    );
    expect((await world.get('/health/ready')).status).toBe(503);
    faulty.fail(undefined);
    expect((await world.get(`${API}/${RORVANN}/aapnekrav`, token)).status).toBe(200);
  });

  it('keeps a bug a 500 internal_error (not a 503), with nothing of the cause in the body', async () => {
    const token = world.issuer.token();
    faulty.fail(() => new TypeError("Cannot read properties of undefined (reading 'rows')"));
    const res = await world.get(`${API}/${RORVANN}/aapnekrav`, token);
    expectProblem(res, 500, 'internal_error');
    expect(res.text).not.toContain('rows');
    faulty.fail(() => Object.assign(new Error('column "party" does not exist'), { code: '42703' }));
    expectProblem(await world.get(`${API}/${RORVANN}/aapnekrav`, token), 500, 'internal_error');
  });
});
