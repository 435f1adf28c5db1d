import { osloToday } from './dates.js';
import { seedDemoData } from './demo-data.js';
import { migrate } from './migrations.js';
import { toKroner, toOere } from './money.js';
import { type AapentKravBeloep, oversiktPerKravgruppe, totalOversikt } from './oversikt.js';
import { openSql, type Sql, type SqlLogger } from './sql.js';
import type { AapneKrav, Innbetaling, InnbetalingListe, Krav, KravListe, Periode } from './types.js';

export interface ClaimsStore {
  /** Open claims (remaining amount > 0), unplaced payments and totals, forfalt relative to today. */
  aapneKrav(party: string): Promise<AapneKrav>;
  /**
   * Every claim whose `kravforfall` lies in the period, bounds inclusive, settled ones included (with
   * `gjenstaaendeBeloep` 0): the period asks what fell due then, not what is still open.
   */
  krav(party: string, periode: Periode): Promise<KravListe>;
  /** Every payment whose `innbetalingsdato` lies in the period, bounds inclusive, placed or not. */
  innbetalinger(party: string, periode: Periode): Promise<InnbetalingListe>;
  /** Resolves when the database answers; for `/health/ready`. */
  ping(): Promise<void>;
  /** Closes the database the store opened; a `sql` passed in is left open for its owner. */
  close(): Promise<void>;
}

export interface CreateClaimsStoreOptions {
  /**
   * `postgres://` or `postgresql://` URL of the claims database (`CLAIMS_DATABASE_URL`).
   * Default: a new embedded, in-memory PGlite.
   */
  databaseUrl?: string | undefined;
  /** An open database to use instead of `databaseUrl`; the caller keeps ownership. */
  sql?: Sql | undefined;
  /** Insert the demo claims (the sandbox story) when both tables are empty. Default true. */
  seedDemoData?: boolean | undefined;
  /** Today's date, YYYY-MM-DD, for forfalt and stipulated interest. Default: the current date in Europe/Oslo. */
  today?: (() => string) | undefined;
  /** Receives warnings such as a dropped idle PostgreSQL connection. */
  logger?: SqlLogger | undefined;
}

// Type aliases, not interfaces: only they satisfy the `Record<string, unknown>` row bound.
/** A claim as the store's statements return it (money in øre). */
export type KravRow = {
  kravidentifikator: string;
  kravbeskrivelse: string;
  kravtype: string;
  kravgruppe: string;
  periode: string;
  kravforfall: string;
  opprinnelig_beloep_oere: unknown;
  gjenstaaende_beloep_oere: unknown;
};

/** A payment as the store's statements return it (money in øre). */
export type InnbetalingRow = {
  innbetalingsidentifikator: string;
  innbetalingsdato: string;
  beloep_oere: unknown;
  uplassert_beloep_oere: unknown;
};

// Dates leave the database as text: pg would turn a DATE into a JS Date at local midnight and shift it.
const KRAV_COLUMNS = `kravidentifikator, kravbeskrivelse, kravtype, kravgruppe, periode,
  to_char(kravforfall, 'YYYY-MM-DD') AS kravforfall, opprinnelig_beloep_oere, gjenstaaende_beloep_oere`;
const INNBETALING_COLUMNS = `innbetalingsidentifikator, to_char(innbetalingsdato, 'YYYY-MM-DD') AS innbetalingsdato,
  beloep_oere, uplassert_beloep_oere`;

/**
 * Open claims and unplaced payments in one statement and one round trip: each list is one index scan
 * (the partial indexes `krav_party_aapne_idx` and `innbetalinger_party_uplassert_idx`), aggregated to
 * JSON in the database. Measured cheaper than two statements on both PostgreSQL and PGlite.
 */
export const SQL_AAPNE_KRAV = `SELECT
  (SELECT coalesce(json_agg(k ORDER BY k.kravforfall, k.kravidentifikator), '[]')
     FROM (SELECT ${KRAV_COLUMNS} FROM krav WHERE party = $1 AND gjenstaaende_beloep_oere > 0) k) AS krav,
  (SELECT coalesce(json_agg(i ORDER BY i.innbetalingsdato, i.innbetalingsidentifikator), '[]')
     FROM (SELECT ${INNBETALING_COLUMNS} FROM innbetalinger WHERE party = $1 AND uplassert_beloep_oere > 0) i)
    AS innbetalinger`;
// Ordered by the date column, not the text alias of the same name: the (party, date) index then gives the order.
export const SQL_KRAV_I_PERIODE = `SELECT ${KRAV_COLUMNS} FROM krav
  WHERE party = $1 AND kravforfall BETWEEN $2::date AND $3::date ORDER BY krav.kravforfall, kravidentifikator`;
export const SQL_INNBETALINGER_I_PERIODE = `SELECT ${INNBETALING_COLUMNS} FROM innbetalinger
  WHERE party = $1 AND innbetalingsdato BETWEEN $2::date AND $3::date
  ORDER BY innbetalinger.innbetalingsdato, innbetalingsidentifikator`;

export function toKrav(row: KravRow): Krav {
  return {
    kravidentifikator: row.kravidentifikator,
    kravbeskrivelse: row.kravbeskrivelse,
    kravtype: row.kravtype,
    kravgruppe: row.kravgruppe,
    opprinneligBeloep: toKroner(toOere(row.opprinnelig_beloep_oere)),
    gjenstaaendeBeloep: toKroner(toOere(row.gjenstaaende_beloep_oere)),
    kravforfall: row.kravforfall,
    periode: row.periode,
  };
}

export function toInnbetaling(row: InnbetalingRow): Innbetaling {
  return {
    innbetalingsidentifikator: row.innbetalingsidentifikator,
    innbetalingsdato: row.innbetalingsdato,
    innbetaltBeloep: toKroner(toOere(row.beloep_oere)),
    uplassertBeloep: toKroner(toOere(row.uplassert_beloep_oere)),
  };
}

/**
 * Opens (or takes) the claims database, migrates it, seeds the demo data when empty, and answers
 * the three Krav og betalinger questions with the same SQL on PGlite and PostgreSQL.
 */
export async function createClaimsStore(options: CreateClaimsStoreOptions = {}): Promise<ClaimsStore> {
  const owned = options.sql === undefined;
  const seed = options.seedDemoData ?? true;
  const sql =
    options.sql ??
    (await openSql({
      databaseUrl: options.databaseUrl,
      logger: options.logger,
      // The embedded database starts from a prepared image that already holds the demo claims.
      embeddedImage: seed ? 'demo-claims' : 'empty',
    }));
  const today = options.today ?? (() => osloToday());
  try {
    await migrate(sql);
    if (seed) await seedDemoData(sql);
  } catch (err) {
    if (owned) await sql.close().catch(() => undefined);
    throw err;
  }

  return {
    async aapneKrav(party) {
      const [row] = await sql.query<{ krav: KravRow[]; innbetalinger: InnbetalingRow[] }>(SQL_AAPNE_KRAV, [party]);
      const kravRows = row?.krav ?? [];
      const innbetalingRows = row?.innbetalinger ?? [];
      const dagensDato = today();
      const beloep: AapentKravBeloep[] = kravRows.map((row) => ({
        kravgruppe: row.kravgruppe,
        kravforfall: row.kravforfall,
        gjenstaaendeOere: toOere(row.gjenstaaende_beloep_oere),
      }));
      const uplasserte = innbetalingRows.map((row) => toOere(row.uplassert_beloep_oere));
      return {
        partIdentifikator: party,
        aapentKravMedGjenstaaendeBeloep: kravRows.map(toKrav),
        innbetalingMedUplassertBeloep: innbetalingRows.map(toInnbetaling),
        totalOversikt: totalOversikt(beloep, uplasserte, dagensDato),
        oversiktPerKravgruppe: oversiktPerKravgruppe(beloep, dagensDato),
      };
    },
    async krav(party, periode) {
      const rows = await sql.query<KravRow>(SQL_KRAV_I_PERIODE, [party, periode.fraOgMed, periode.tilOgMed]);
      return { partIdentifikator: party, krav: rows.map(toKrav) };
    },
    async innbetalinger(party, periode) {
      const rows = await sql.query<InnbetalingRow>(SQL_INNBETALINGER_I_PERIODE, [
        party,
        periode.fraOgMed,
        periode.tilOgMed,
      ]);
      return { partIdentifikator: party, innbetalinger: rows.map(toInnbetaling) };
    },
    async ping() {
      await sql.query('SELECT 1');
    },
    async close() {
      if (owned) await sql.close();
    },
  };
}
