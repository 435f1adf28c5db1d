import { CLAIMS_LOCK_KEY } from './migrations.js';
import type { Sql } from './sql.js';

/**
 * Demo claims for the sandbox story (docs/sandbox.md), on fixed 2026 dates around 23 November
 * 2026: a `kravforfall` before today is forfalt (overdue). Due dates follow the Norwegian calendar
 * (merverdiavgift the 10th, arbeidsgiveravgift and forskuddstrekk the 15th, forskuddsskatt for
 * companies 15 February and 15 April, moved to the next weekday), amounts are integer øre.
 */
export interface DemoKrav {
  kravidentifikator: string;
  party: string;
  kravbeskrivelse: string;
  kravtype: string;
  kravgruppe: string;
  periode: string;
  kravforfall: string;
  opprinneligBeloepOere: number;
  gjenstaaendeBeloepOere: number;
}

export interface DemoInnbetaling {
  innbetalingsidentifikator: string;
  party: string;
  innbetalingsdato: string;
  beloepOere: number;
  uplassertBeloepOere: number;
}

export const DEMO_PARTIES = {
  roerOgVann: '310478717',
  tilfeldigSubtilApe: '313367002',
  regnskapsklientA: '311851381',
  regnskapsklientB: '314961900',
} as const;

const MVA = { kravtype: 'Merverdiavgift', kravgruppe: 'Merverdiavgift' };
const AGA = { kravtype: 'Arbeidsgiveravgift', kravgruppe: 'Arbeidsgiveravgift og forskuddstrekk' };
const TREKK = { kravtype: 'Forskuddstrekk', kravgruppe: 'Arbeidsgiveravgift og forskuddstrekk' };
const FORSKUDDSSKATT = { kravtype: 'Forskuddsskatt', kravgruppe: 'Skatt' };
const RESTSKATT = { kravtype: 'Restskatt', kravgruppe: 'Skatt' };

const { roerOgVann, tilfeldigSubtilApe, regnskapsklientA, regnskapsklientB } = DEMO_PARTIES;

export const DEMO_KRAV: readonly DemoKrav[] = [
  // Rør og Vann AS: overdue VAT partly paid, overdue employer's tax, settled withholding, VAT not yet due.
  {
    kravidentifikator: '2026310478717001',
    party: roerOgVann,
    kravbeskrivelse: 'Forskuddsskatt 1. termin inntektsår 2025',
    ...FORSKUDDSSKATT,
    periode: '2025',
    kravforfall: '2026-02-16',
    opprinneligBeloepOere: 21_450_000,
    gjenstaaendeBeloepOere: 0,
  },
  {
    kravidentifikator: '2026310478717002',
    party: roerOgVann,
    kravbeskrivelse: 'Forskuddsskatt 2. termin inntektsår 2025',
    ...FORSKUDDSSKATT,
    periode: '2025',
    kravforfall: '2026-04-15',
    opprinneligBeloepOere: 21_450_000,
    gjenstaaendeBeloepOere: 0,
  },
  {
    kravidentifikator: '2026310478717003',
    party: roerOgVann,
    kravbeskrivelse: 'Merverdiavgift 4. termin 2026',
    ...MVA,
    periode: '2026-07/2026-08',
    kravforfall: '2026-10-12',
    opprinneligBeloepOere: 14_831_250,
    gjenstaaendeBeloepOere: 4_831_250,
  },
  {
    kravidentifikator: '2026310478717004',
    party: roerOgVann,
    kravbeskrivelse: 'Arbeidsgiveravgift 5. termin 2026',
    ...AGA,
    periode: '2026-09/2026-10',
    kravforfall: '2026-11-16',
    opprinneligBeloepOere: 6_288_000,
    gjenstaaendeBeloepOere: 6_288_000,
  },
  {
    kravidentifikator: '2026310478717005',
    party: roerOgVann,
    kravbeskrivelse: 'Forskuddstrekk 5. termin 2026',
    ...TREKK,
    periode: '2026-09/2026-10',
    kravforfall: '2026-11-16',
    opprinneligBeloepOere: 9_431_500,
    gjenstaaendeBeloepOere: 0,
  },
  {
    kravidentifikator: '2026310478717006',
    party: roerOgVann,
    kravbeskrivelse: 'Merverdiavgift 5. termin 2026',
    ...MVA,
    periode: '2026-09/2026-10',
    kravforfall: '2026-12-10',
    opprinneligBeloepOere: 16_342_000,
    gjenstaaendeBeloepOere: 16_342_000,
  },
  // TILFELDIG SUBTIL APE: VAT long overdue, restskatt due after today.
  {
    kravidentifikator: '2026313367002001',
    party: tilfeldigSubtilApe,
    kravbeskrivelse: 'Merverdiavgift 3. termin 2026',
    ...MVA,
    periode: '2026-05/2026-06',
    kravforfall: '2026-08-31',
    opprinneligBeloepOere: 2_715_000,
    gjenstaaendeBeloepOere: 2_215_000,
  },
  {
    kravidentifikator: '2026313367002002',
    party: tilfeldigSubtilApe,
    kravbeskrivelse: 'Restskatt inntektsår 2025',
    ...RESTSKATT,
    periode: '2025',
    kravforfall: '2026-11-26',
    opprinneligBeloepOere: 1_890_300,
    gjenstaaendeBeloepOere: 1_890_300,
  },
  // 311851381 (client of the accounting firm): overdue employer's tax, restskatt partly paid, VAT not due.
  {
    kravidentifikator: '2026311851381001',
    party: regnskapsklientA,
    kravbeskrivelse: 'Restskatt inntektsår 2025',
    ...RESTSKATT,
    periode: '2025',
    kravforfall: '2026-11-05',
    opprinneligBeloepOere: 3_412_800,
    gjenstaaendeBeloepOere: 1_412_800,
  },
  {
    kravidentifikator: '2026311851381002',
    party: regnskapsklientA,
    kravbeskrivelse: 'Arbeidsgiveravgift 5. termin 2026',
    ...AGA,
    periode: '2026-09/2026-10',
    kravforfall: '2026-11-16',
    opprinneligBeloepOere: 4_120_700,
    gjenstaaendeBeloepOere: 4_120_700,
  },
  {
    kravidentifikator: '2026311851381003',
    party: regnskapsklientA,
    kravbeskrivelse: 'Forskuddstrekk 5. termin 2026',
    ...TREKK,
    periode: '2026-09/2026-10',
    kravforfall: '2026-11-16',
    opprinneligBeloepOere: 5_899_000,
    gjenstaaendeBeloepOere: 0,
  },
  {
    kravidentifikator: '2026311851381004',
    party: regnskapsklientA,
    kravbeskrivelse: 'Merverdiavgift 5. termin 2026',
    ...MVA,
    periode: '2026-09/2026-10',
    kravforfall: '2026-12-10',
    opprinneligBeloepOere: 7_743_125,
    gjenstaaendeBeloepOere: 7_743_125,
  },
  // 314961900 (client of the accounting firm): a small overdue remainder, two claims not yet due.
  {
    kravidentifikator: '2026314961900001',
    party: regnskapsklientB,
    kravbeskrivelse: 'Arbeidsgiveravgift 4. termin 2026',
    ...AGA,
    periode: '2026-07/2026-08',
    kravforfall: '2026-09-15',
    opprinneligBeloepOere: 840_000,
    gjenstaaendeBeloepOere: 340_000,
  },
  {
    kravidentifikator: '2026314961900002',
    party: regnskapsklientB,
    kravbeskrivelse: 'Merverdiavgift 4. termin 2026',
    ...MVA,
    periode: '2026-07/2026-08',
    kravforfall: '2026-10-12',
    opprinneligBeloepOere: 1_240_000,
    gjenstaaendeBeloepOere: 0,
  },
  {
    kravidentifikator: '2026314961900003',
    party: regnskapsklientB,
    kravbeskrivelse: 'Restskatt inntektsår 2025',
    ...RESTSKATT,
    periode: '2025',
    kravforfall: '2026-12-03',
    opprinneligBeloepOere: 987_640,
    gjenstaaendeBeloepOere: 987_640,
  },
  {
    kravidentifikator: '2026314961900004',
    party: regnskapsklientB,
    kravbeskrivelse: 'Merverdiavgift 5. termin 2026',
    ...MVA,
    periode: '2026-09/2026-10',
    kravforfall: '2026-12-10',
    opprinneligBeloepOere: 1_598_000,
    gjenstaaendeBeloepOere: 1_598_000,
  },
];

export const DEMO_INNBETALINGER: readonly DemoInnbetaling[] = [
  {
    innbetalingsidentifikator: '7026310478717001',
    party: roerOgVann,
    innbetalingsdato: '2026-02-16',
    beloepOere: 21_450_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026310478717002',
    party: roerOgVann,
    innbetalingsdato: '2026-04-14',
    beloepOere: 21_450_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026310478717003',
    party: roerOgVann,
    innbetalingsdato: '2026-10-12',
    beloepOere: 10_000_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026310478717004',
    party: roerOgVann,
    innbetalingsdato: '2026-11-16',
    beloepOere: 9_431_500,
    uplassertBeloepOere: 0,
  },
  // Paid without a valid KID: not yet placed on any claim.
  {
    innbetalingsidentifikator: '7026310478717005',
    party: roerOgVann,
    innbetalingsdato: '2026-11-20',
    beloepOere: 1_000_000,
    uplassertBeloepOere: 1_000_000,
  },
  {
    innbetalingsidentifikator: '7026313367002001',
    party: tilfeldigSubtilApe,
    innbetalingsdato: '2026-09-15',
    beloepOere: 500_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026313367002002',
    party: tilfeldigSubtilApe,
    innbetalingsdato: '2026-11-18',
    beloepOere: 125_075,
    uplassertBeloepOere: 125_075,
  },
  // Partly placed on the restskatt, the rest waits for placement.
  {
    innbetalingsidentifikator: '7026311851381001',
    party: regnskapsklientA,
    innbetalingsdato: '2026-11-13',
    beloepOere: 2_250_000,
    uplassertBeloepOere: 250_000,
  },
  {
    innbetalingsidentifikator: '7026311851381002',
    party: regnskapsklientA,
    innbetalingsdato: '2026-11-16',
    beloepOere: 5_899_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026314961900001',
    party: regnskapsklientB,
    innbetalingsdato: '2026-09-15',
    beloepOere: 500_000,
    uplassertBeloepOere: 0,
  },
  {
    innbetalingsidentifikator: '7026314961900002',
    party: regnskapsklientB,
    innbetalingsdato: '2026-10-12',
    beloepOere: 1_240_000,
    uplassertBeloepOere: 0,
  },
];

export interface DemoData {
  krav: readonly DemoKrav[];
  innbetalinger: readonly DemoInnbetaling[];
}

/**
 * Inserts the demo data when both tables are empty, under the same lock as the migrations so two
 * replicas starting at once seed once. Returns whether it seeded.
 */
export async function seedDemoData(
  sql: Sql,
  data: DemoData = { krav: DEMO_KRAV, innbetalinger: DEMO_INNBETALINGER },
): Promise<boolean> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLAIMS_LOCK_KEY]);
    const existing = await tx.query('SELECT 1 FROM krav UNION ALL SELECT 1 FROM innbetalinger LIMIT 1');
    if (existing.length > 0) return false;
    for (const k of data.krav) {
      await tx.query(
        `INSERT INTO krav (kravidentifikator, party, kravbeskrivelse, kravtype, kravgruppe, periode, kravforfall,
           opprinnelig_beloep_oere, gjenstaaende_beloep_oere)
         VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9)`,
        [
          k.kravidentifikator,
          k.party,
          k.kravbeskrivelse,
          k.kravtype,
          k.kravgruppe,
          k.periode,
          k.kravforfall,
          k.opprinneligBeloepOere,
          k.gjenstaaendeBeloepOere,
        ],
      );
    }
    for (const i of data.innbetalinger) {
      await tx.query(
        `INSERT INTO innbetalinger (innbetalingsidentifikator, party, innbetalingsdato, beloep_oere, uplassert_beloep_oere)
         VALUES ($1, $2, $3::date, $4, $5)`,
        [i.innbetalingsidentifikator, i.party, i.innbetalingsdato, i.beloepOere, i.uplassertBeloepOere],
      );
    }
    return true;
  });
}
