/**
 * The data path's anchor: the same `/aapnekrav` JSON from the same PostgreSQL data, with nothing but
 * Express and a `pg` pool in between — no authorization, no validation, no logging, no metrics. What the
 * gateway reaches against this is what Portvakt and the gateway cost on the real route.
 *
 * It runs the best query we have (one statement, one round trip, index scans on the partial indexes;
 * plans in docs/performance-data-path.md), and the same money arithmetic the store uses.
 */
import express from 'express';
import pg from 'pg';
import { osloToday } from '../../src/claims/dates.js';
import { toKroner, toOere } from '../../src/claims/money.js';
import { oversiktPerKravgruppe, totalOversikt } from '../../src/claims/oversikt.js';
import { SQL_AAPNE_KRAV } from '../../src/claims/store.js';
import { env, serveScenario } from '../lib/server.js';

type Krav = {
  kravidentifikator: string;
  kravbeskrivelse: string;
  kravtype: string;
  kravgruppe: string;
  periode: string;
  kravforfall: string;
  opprinnelig_beloep_oere: number;
  gjenstaaende_beloep_oere: number;
};
type Innbetaling = {
  innbetalingsidentifikator: string;
  innbetalingsdato: string;
  beloep_oere: number;
  uplassert_beloep_oere: number;
};

// The pool size the gateway's store uses, so the two contend for PostgreSQL alike.
const pool = new pg.Pool({ connectionString: env('CLAIMS_DATABASE_URL'), max: 10 });
const app = express();
app.disable('x-powered-by');
app.get('/api/innkreving/kravogbetalinger/v1/:party/aapnekrav', async (req, res) => {
  const party = req.params.party;
  const { rows } = await pool.query<{ krav: Krav[]; innbetalinger: Innbetaling[] }>(SQL_AAPNE_KRAV, [party]);
  const { krav, innbetalinger } = rows[0]!;
  const today = osloToday();
  const beloep = krav.map((k) => ({
    kravgruppe: k.kravgruppe,
    kravforfall: k.kravforfall,
    gjenstaaendeOere: toOere(k.gjenstaaende_beloep_oere),
  }));
  res.json({
    partIdentifikator: party,
    aapentKravMedGjenstaaendeBeloep: krav.map((k) => ({
      kravidentifikator: k.kravidentifikator,
      kravbeskrivelse: k.kravbeskrivelse,
      kravtype: k.kravtype,
      kravgruppe: k.kravgruppe,
      opprinneligBeloep: toKroner(toOere(k.opprinnelig_beloep_oere)),
      gjenstaaendeBeloep: toKroner(toOere(k.gjenstaaende_beloep_oere)),
      kravforfall: k.kravforfall,
      periode: k.periode,
    })),
    innbetalingMedUplassertBeloep: innbetalinger.map((i) => ({
      innbetalingsidentifikator: i.innbetalingsidentifikator,
      innbetalingsdato: i.innbetalingsdato,
      innbetaltBeloep: toKroner(toOere(i.beloep_oere)),
      uplassertBeloep: toKroner(toOere(i.uplassert_beloep_oere)),
    })),
    totalOversikt: totalOversikt(
      beloep,
      innbetalinger.map((i) => toOere(i.uplassert_beloep_oere)),
      today,
    ),
    oversiktPerKravgruppe: oversiktPerKravgruppe(beloep, today),
  });
});
await serveScenario(app);
