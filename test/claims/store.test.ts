import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KRAV, DEMO_PARTIES, seedDemoData } from '../../src/claims/demo-data.js';
import { MIGRATIONS, migrate } from '../../src/claims/migrations.js';
import type { Sql, SqlValue } from '../../src/claims/sql.js';
import { type ClaimsStore, createClaimsStore } from '../../src/claims/store.js';
import { BACKENDS } from './backends.js';

const TODAY = '2026-11-23';

// Parties for hand-made fixtures; the store does not check mod-11 (the pipeline has by then).
const MONEY_PARTY = '900000001';
const PERIOD_PARTY = '900000002';
const CREDIT_PARTY = '900000003';
const NO_DATA_PARTY = '314055403';

async function insertKrav(
  sql: Sql,
  k: { id: string; party: string; forfall: string; opprinnelig: SqlValue; gjenstaaende: SqlValue; gruppe?: string },
) {
  await sql.query(
    `INSERT INTO krav (kravidentifikator, party, kravbeskrivelse, kravtype, kravgruppe, periode, kravforfall,
       opprinnelig_beloep_oere, gjenstaaende_beloep_oere) VALUES ($1, $2, 'Test', 'Test', $3, '2026', $4::date, $5, $6)`,
    [k.id, k.party, k.gruppe ?? 'Testgruppe', k.forfall, k.opprinnelig, k.gjenstaaende],
  );
}

async function insertInnbetaling(
  sql: Sql,
  i: { id: string; party: string; dato: string; beloep: SqlValue; uplassert: SqlValue },
) {
  await sql.query(
    `INSERT INTO innbetalinger (innbetalingsidentifikator, party, innbetalingsdato, beloep_oere, uplassert_beloep_oere)
     VALUES ($1, $2, $3::date, $4, $5)`,
    [i.id, i.party, i.dato, i.beloep, i.uplassert],
  );
}

describe.each(BACKENDS)('claims store on $name', (backend) => {
  let sql: Sql;
  let dispose: () => Promise<void>;
  let store: ClaimsStore;

  beforeAll(async () => {
    if (backend.skip) return;
    ({ sql, dispose } = await backend.open());
    store = await createClaimsStore({ sql, today: () => TODAY });

    await insertKrav(sql, {
      id: 'M1',
      party: MONEY_PARTY,
      forfall: '2026-12-01',
      opprinnelig: 123_450,
      gjenstaaende: 123_450,
    });
    await insertKrav(sql, { id: 'M2', party: MONEY_PARTY, forfall: '2026-12-02', opprinnelig: 10, gjenstaaende: 10 });
    await insertKrav(sql, { id: 'M3', party: MONEY_PARTY, forfall: '2026-12-03', opprinnelig: 20, gjenstaaende: 20 });
    // Far beyond 32-bit integers (about 123 billion NOK): still exact to the øre.
    await insertKrav(sql, {
      id: 'M4',
      party: MONEY_PARTY,
      forfall: '2026-12-04',
      opprinnelig: '12345678901234',
      gjenstaaende: '12345678901234',
      gruppe: 'Stor',
    });

    for (const [id, forfall, gjenstaaende] of [
      ['P0', '2025-12-31', 100],
      ['P1', '2026-01-01', 100],
      ['P2', '2026-06-30', 0],
      ['P3', '2026-12-31', 100],
      ['P4', '2027-01-01', 100],
    ] as const) {
      await insertKrav(sql, { id, party: PERIOD_PARTY, forfall, opprinnelig: 100, gjenstaaende });
    }
    for (const [id, dato] of [
      ['I0', '2025-12-31'],
      ['I1', '2026-01-01'],
      ['I2', '2026-12-31'],
      ['I3', '2027-01-01'],
    ] as const) {
      await insertInnbetaling(sql, { id, party: PERIOD_PARTY, dato, beloep: 5_000, uplassert: 0 });
    }

    // Due today (not overdue) and due yesterday (overdue one day), outweighed by an unplaced payment.
    await insertKrav(sql, {
      id: 'C1',
      party: CREDIT_PARTY,
      forfall: TODAY,
      opprinnelig: 1_000_00,
      gjenstaaende: 1_000_00,
    });
    await insertKrav(sql, {
      id: 'C2',
      party: CREDIT_PARTY,
      forfall: '2026-11-22',
      opprinnelig: 365_000_00,
      gjenstaaende: 365_000_00,
    });
    await insertInnbetaling(sql, {
      id: 'C3',
      party: CREDIT_PARTY,
      dato: '2026-11-20',
      beloep: 500_000_00,
      uplassert: 400_000_00,
    });
  });

  afterAll(async () => {
    await store?.close();
    await dispose?.();
  });

  it.skipIf(backend.skip)('answers aapneKrav for Rør og Vann AS from the demo data', async () => {
    const answer = await store.aapneKrav(DEMO_PARTIES.roerOgVann);
    expect(answer.partIdentifikator).toBe('310478717');
    expect(answer.aapentKravMedGjenstaaendeBeloep).toEqual([
      {
        kravidentifikator: '2026310478717003',
        kravbeskrivelse: 'Merverdiavgift 4. termin 2026',
        kravtype: 'Merverdiavgift',
        kravgruppe: 'Merverdiavgift',
        opprinneligBeloep: 148_312.5,
        gjenstaaendeBeloep: 48_312.5,
        kravforfall: '2026-10-12',
        periode: '2026-07/2026-08',
      },
      {
        kravidentifikator: '2026310478717004',
        kravbeskrivelse: 'Arbeidsgiveravgift 5. termin 2026',
        kravtype: 'Arbeidsgiveravgift',
        kravgruppe: 'Arbeidsgiveravgift og forskuddstrekk',
        opprinneligBeloep: 62_880,
        gjenstaaendeBeloep: 62_880,
        kravforfall: '2026-11-16',
        periode: '2026-09/2026-10',
      },
      {
        kravidentifikator: '2026310478717006',
        kravbeskrivelse: 'Merverdiavgift 5. termin 2026',
        kravtype: 'Merverdiavgift',
        kravgruppe: 'Merverdiavgift',
        opprinneligBeloep: 163_420,
        gjenstaaendeBeloep: 163_420,
        kravforfall: '2026-12-10',
        periode: '2026-09/2026-10',
      },
    ]);
    expect(answer.innbetalingMedUplassertBeloep).toEqual([
      {
        innbetalingsidentifikator: '7026310478717005',
        innbetalingsdato: '2026-11-20',
        innbetaltBeloep: 10_000,
        uplassertBeloep: 10_000,
      },
    ]);
    // Interest at 12.25 %, actual/365: 48 312.50 × 42 days → 681.01; 62 880 × 7 days → 147.72.
    expect(answer.totalOversikt).toEqual({
      sumForfalteKrav: 111_192.5,
      sumIkkeForfalteKrav: 163_420,
      sumStipulerteRenter: 828.73,
      sumUplasserteInnbetalinger: 10_000,
      saldo: 264_612.5,
    });
    expect(answer.oversiktPerKravgruppe).toEqual([
      {
        kravgruppe: 'Arbeidsgiveravgift og forskuddstrekk',
        sumForfalteKrav: 62_880,
        sumIkkeForfalteKrav: 0,
        sumStipulerteRenter: 147.72,
      },
      {
        kravgruppe: 'Merverdiavgift',
        sumForfalteKrav: 48_312.5,
        sumIkkeForfalteKrav: 163_420,
        sumStipulerteRenter: 681.01,
      },
    ]);
  });

  it.skipIf(backend.skip)('has demo data for every demo party, including an unplaced payment', async () => {
    for (const party of Object.values(DEMO_PARTIES)) {
      const answer = await store.aapneKrav(party);
      expect(answer.aapentKravMedGjenstaaendeBeloep.length).toBeGreaterThan(0);
      expect(answer.totalOversikt.sumForfalteKrav).toBeGreaterThan(0);
      expect(answer.totalOversikt.sumIkkeForfalteKrav).toBeGreaterThan(0);
    }
    const withUnplaced = await Promise.all(Object.values(DEMO_PARTIES).map((p) => store.aapneKrav(p)));
    expect(withUnplaced.filter((a) => a.innbetalingMedUplassertBeloep.length > 0).length).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(backend.skip)('keeps money exact: integer øre in, NOK rounded to øre out', async () => {
    const answer = await store.aapneKrav(MONEY_PARTY);
    const beloep = answer.aapentKravMedGjenstaaendeBeloep.map((k) => k.gjenstaaendeBeloep);
    expect(beloep).toEqual([1234.5, 0.1, 0.2, 123_456_789_012.34]);
    const small = answer.oversiktPerKravgruppe.find((g) => g.kravgruppe === 'Testgruppe');
    // 1234.50 + 0.10 + 0.20 summed in øre: exactly 1234.8, never 1234.8000000000002.
    expect(small?.sumIkkeForfalteKrav).toBe(1234.8);
    expect(JSON.stringify(small?.sumIkkeForfalteKrav)).toBe('1234.8');
  });

  it.skipIf(backend.skip)(
    'treats a claim due today as not overdue and lets unplaced payments make saldo negative',
    async () => {
      const { totalOversikt } = await store.aapneKrav(CREDIT_PARTY);
      expect(totalOversikt).toEqual({
        sumForfalteKrav: 365_000,
        sumIkkeForfalteKrav: 1_000,
        // One day at 12.25 % on 365 000: 122.50.
        sumStipulerteRenter: 122.5,
        sumUplasserteInnbetalinger: 400_000,
        saldo: -34_000,
      });
    },
  );

  it.skipIf(backend.skip)('filters krav on kravforfall with inclusive bounds, settled claims included', async () => {
    const answer = await store.krav(PERIOD_PARTY, { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' });
    expect(answer.partIdentifikator).toBe(PERIOD_PARTY);
    expect(answer.krav.map((k) => [k.kravidentifikator, k.gjenstaaendeBeloep])).toEqual([
      ['P1', 1],
      ['P2', 0],
      ['P3', 1],
    ]);
    const oneDay = await store.krav(PERIOD_PARTY, { fraOgMed: '2026-06-30', tilOgMed: '2026-06-30' });
    expect(oneDay.krav.map((k) => k.kravidentifikator)).toEqual(['P2']);
  });

  it.skipIf(backend.skip)('filters innbetalinger on innbetalingsdato with inclusive bounds', async () => {
    const answer = await store.innbetalinger(PERIOD_PARTY, { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' });
    expect(answer).toEqual({
      partIdentifikator: PERIOD_PARTY,
      innbetalinger: [
        { innbetalingsidentifikator: 'I1', innbetalingsdato: '2026-01-01', innbetaltBeloep: 50, uplassertBeloep: 0 },
        { innbetalingsidentifikator: 'I2', innbetalingsdato: '2026-12-31', innbetaltBeloep: 50, uplassertBeloep: 0 },
      ],
    });
  });

  it.skipIf(backend.skip)('lists the demo krav and innbetalinger in a period', async () => {
    const periode = { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' };
    const krav = await store.krav(DEMO_PARTIES.roerOgVann, periode);
    expect(krav.krav).toHaveLength(6);
    expect(krav.krav.filter((k) => k.gjenstaaendeBeloep === 0)).toHaveLength(3);
    const innbetalinger = await store.innbetalinger(DEMO_PARTIES.roerOgVann, periode);
    expect(innbetalinger.innbetalinger).toHaveLength(5);
  });

  it.skipIf(backend.skip)('answers a party without data with empty lists and zero sums', async () => {
    expect(await store.aapneKrav(NO_DATA_PARTY)).toEqual({
      partIdentifikator: NO_DATA_PARTY,
      aapentKravMedGjenstaaendeBeloep: [],
      innbetalingMedUplassertBeloep: [],
      totalOversikt: {
        sumForfalteKrav: 0,
        sumIkkeForfalteKrav: 0,
        sumStipulerteRenter: 0,
        sumUplasserteInnbetalinger: 0,
        saldo: 0,
      },
      oversiktPerKravgruppe: [],
    });
    const periode = { fraOgMed: '2026-01-01', tilOgMed: '2026-12-31' };
    expect(await store.krav(NO_DATA_PARTY, periode)).toEqual({ partIdentifikator: NO_DATA_PARTY, krav: [] });
    expect(await store.innbetalinger(NO_DATA_PARTY, periode)).toEqual({
      partIdentifikator: NO_DATA_PARTY,
      innbetalinger: [],
    });
  });

  it.skipIf(backend.skip)('migrates and seeds idempotently when created again on the same database', async () => {
    const again = await createClaimsStore({ sql, today: () => TODAY });
    expect(await migrate(sql)).toEqual([]);
    expect(await seedDemoData(sql)).toBe(false);
    const versions = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
    const demo = await sql.query<{ n: unknown }>('SELECT count(*) AS n FROM krav WHERE kravidentifikator LIKE $1', [
      '2026%',
    ]);
    expect(Number(demo[0]?.n)).toBe(DEMO_KRAV.length);
    await again.close();
    // The store was given `sql`, so closing it left the database open for its owner.
    await expect(store.ping()).resolves.toBeUndefined();
  });

  // Opens a third database and two stores: seconds on a busy machine, hence the generous deadline.
  it.skipIf(backend.skip)(
    'migrates and seeds once when two stores start at once on a fresh database',
    {
      timeout: 60_000,
    },
    async () => {
      const fresh = await backend.open();
      try {
        // PostgreSQL: two pools, as two replicas would have; PGlite: one embedded database shared.
        const options = fresh.url === undefined ? { sql: fresh.sql } : { databaseUrl: fresh.url };
        const stores = await Promise.all([createClaimsStore(options), createClaimsStore(options)]);
        const krav = await fresh.sql.query<{ n: unknown }>('SELECT count(*) AS n FROM krav');
        expect(Number(krav[0]?.n)).toBe(DEMO_KRAV.length);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await fresh.dispose();
      }
    },
  );

  it.skipIf(backend.skip)('refuses amounts the schema does not allow', async () => {
    await expect(
      insertKrav(sql, { id: 'BAD', party: MONEY_PARTY, forfall: TODAY, opprinnelig: 100, gjenstaaende: 101 }),
    ).rejects.toThrow();
  });
});

describe('createClaimsStore', () => {
  it('defaults to an embedded PGlite with the demo data, and closes what it opened', async () => {
    const store = await createClaimsStore({ today: () => TODAY });
    await expect(store.ping()).resolves.toBeUndefined();
    const answer = await store.aapneKrav(DEMO_PARTIES.tilfeldigSubtilApe);
    expect(answer.innbetalingMedUplassertBeloep).toEqual([
      {
        innbetalingsidentifikator: '7026313367002002',
        innbetalingsdato: '2026-11-18',
        innbetaltBeloep: 1250.75,
        uplassertBeloep: 1250.75,
      },
    ]);
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });

  it('can start empty', async () => {
    const store = await createClaimsStore({ seedDemoData: false });
    expect((await store.aapneKrav(DEMO_PARTIES.roerOgVann)).aapentKravMedGjenstaaendeBeloep).toEqual([]);
    await store.close();
  });

  it('refuses a database URL that is not PostgreSQL, without echoing it', async () => {
    const attempt = createClaimsStore({ databaseUrl: 'mysql://user:secret@localhost/db' });
    await expect(attempt).rejects.toThrow(/postgres:\/\//);
    await expect(attempt).rejects.not.toThrow(/secret/);
  });

  it('reports an unreachable PostgreSQL as claims_unavailable (503)', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    const attempt = createClaimsStore({ databaseUrl: 'postgres://portvakt@127.0.0.1:1/claims' });
    await expect(attempt).rejects.toMatchObject({
      code: 'claims_unavailable',
      status: 503,
      headers: { 'Retry-After': '5' },
    });
  });
});
