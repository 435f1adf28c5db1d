import express from 'express';
import request from 'supertest';
import { createPortvakt, type PortvaktOptions } from '../../src/index.js';
import { createTestIssuer, createTestPdp, systemUserIdFor, testConfig } from '../../src/testing/index.js';

export const KRAV = { scope: 'skatteetaten:kravogbetalinger', resource: 'ske-krav-og-betalinger', action: 'read' };
export const RORVANN = '310478717';
export const APE = '313367002';
export const RORVANN_USER = systemUserIdFor(RORVANN);

/**
 * A service owner's own Express app using the library, wired to the testing kit's issuer and PDP
 * over real loopback HTTP — the setup the README shows.
 */
export async function startLibraryWorld(options: Partial<PortvaktOptions> = {}) {
  const issuer = await createTestIssuer();
  const pdp = await createTestPdp();
  const portvakt = createPortvakt({ ...testConfig(issuer, pdp), ...options });
  const app = express();
  app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => {
    res.json(req.portvakt);
  });
  app.use(portvakt.errorHandler());
  pdp.permit(RORVANN_USER, KRAV.resource, RORVANN);
  return {
    /** Back to the start: the PDP knows only Rør og Vann's grant, and no decision is cached. */
    reset() {
      pdp.reset();
      pdp.permit(RORVANN_USER, KRAV.resource, RORVANN);
      portvakt.clearDecisions();
    },
    issuer,
    pdp,
    portvakt,
    app,
    /** GET /v1/<party>/things with `Authorization: Bearer <token>` (no header when token is undefined). */
    get(party: string, token?: string) {
      const req = request(app).get(`/v1/${party}/things`);
      return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
    },
    async close() {
      await Promise.all([issuer.close(), pdp.close()]);
    },
  };
}

export type LibraryWorld = Awaited<ReturnType<typeof startLibraryWorld>>;

/** Asserts a problem+json refusal with its stable code. */
export function expectProblem(res: request.Response, status: number, code: string) {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers['content-type']}`);
  }
  const body = res.body as Record<string, unknown>;
  for (const field of ['type', 'title', 'status', 'detail', 'code']) {
    if (!(field in body)) throw new Error(`problem lacks ${field}`);
  }
  if (body.type !== `urn:portvakt:problem:${code}` || body.status !== status)
    throw new Error('problem type/status wrong');
}
