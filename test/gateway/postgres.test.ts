import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../claims/backends.js';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';

const postgres = BACKENDS.find((b) => b.name === 'PostgreSQL')!;
const PARTIES = ['310478717', '313367002', '311851381', '314961900'];
const PATHS = [
  'aapnekrav',
  'krav?fraOgMed=2026-01-01&tilOgMed=2026-12-31',
  'innbetalinger?fraOgMed=2026-01-01&tilOgMed=2026-12-31',
];

/** `portvakt serve` with CLAIMS_DATABASE_URL answers exactly as with the embedded PGlite. */
describe.skipIf(postgres.skip !== undefined)('the gateway on PostgreSQL', () => {
  let pg: GatewayWorld;
  let embedded: GatewayWorld;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const db = await postgres.open();
    dispose = db.dispose;
    // The gateway makes its own store from CLAIMS_DATABASE_URL, as a deployment does.
    pg = await startGatewayWorld({ env: { CLAIMS_DATABASE_URL: db.url! }, ownStore: true });
    embedded = await startGatewayWorld();
  });
  afterAll(async () => {
    await Promise.all([pg?.close(), embedded?.close()]);
    await dispose?.();
  });

  it.each(PARTIES)('serves the same claims for %s', async (party) => {
    pg.permit(party);
    embedded.permit(party);
    for (const path of PATHS) {
      const [a, b] = await Promise.all([
        pg.get(`${API}/${party}/${path}`, pg.issuer.token({ org: party })),
        embedded.get(`${API}/${party}/${path}`, embedded.issuer.token({ org: party })),
      ]);
      expect(a.status).toBe(200);
      expect(a.body).toEqual(b.body);
    }
  });
});
