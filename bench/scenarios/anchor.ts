/**
 * The data path's anchor: the same `/aapnekrav` JSON from the same PostgreSQL data, with nothing but
 * Express and a `pg` pool in between — no authorization, no validation, no logging, no metrics. What the
 * gateway reaches against this is what Portvakt and the gateway cost on the real route.
 *
 * It runs the best query we have (one statement, one round trip, index scans on the partial indexes;
 * plans in docs/performance-data-path.md), and the store's own row mapping and money arithmetic.
 */
import express from 'express';
import pg from 'pg';
import { osloToday } from '../../src/claims/dates.js';
import { toOere } from '../../src/claims/money.js';
import { oversiktPerKravgruppe, totalOversikt } from '../../src/claims/oversikt.js';
import { type InnbetalingRow, type KravRow, SQL_AAPNE_KRAV, toInnbetaling, toKrav } from '../../src/claims/store.js';
import { env, serveScenario } from '../lib/server.js';

// The pool size the gateway's store uses, so the two contend for PostgreSQL alike.
const pool = new pg.Pool({ connectionString: env('CLAIMS_DATABASE_URL'), max: 10 });
const app = express();
app.disable('x-powered-by');
app.get('/api/innkreving/kravogbetalinger/v1/:party/aapnekrav', async (req, res) => {
  const party = req.params.party;
  const { rows } = await pool.query<{ krav: KravRow[]; innbetalinger: InnbetalingRow[] }>(SQL_AAPNE_KRAV, [party]);
  const { krav, innbetalinger } = rows[0]!;
  const today = osloToday();
  const beloep = krav.map((k) => ({
    kravgruppe: k.kravgruppe,
    kravforfall: k.kravforfall,
    gjenstaaendeOere: toOere(k.gjenstaaende_beloep_oere),
  }));
  res.json({
    partIdentifikator: party,
    aapentKravMedGjenstaaendeBeloep: krav.map(toKrav),
    innbetalingMedUplassertBeloep: innbetalinger.map(toInnbetaling),
    totalOversikt: totalOversikt(
      beloep,
      innbetalinger.map((i) => toOere(i.uplassert_beloep_oere)),
      today,
    ),
    oversiktPerKravgruppe: oversiktPerKravgruppe(beloep, today),
  });
});
await serveScenario(app);
