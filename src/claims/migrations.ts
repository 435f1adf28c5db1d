import type { Sql } from './sql.js';

/**
 * The claims schema, versioned. A migration is never edited once released: change the schema by
 * appending one. Each is a list of single statements because PGlite's `query` takes one at a time.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'krav og innbetalinger',
    statements: [
      `CREATE TABLE krav (
        kravidentifikator text PRIMARY KEY,
        party text NOT NULL CHECK (party ~ '^[0-9]{9}$'),
        kravbeskrivelse text NOT NULL,
        kravtype text NOT NULL,
        kravgruppe text NOT NULL,
        periode text NOT NULL,
        kravforfall date NOT NULL,
        opprinnelig_beloep_oere bigint NOT NULL CHECK (opprinnelig_beloep_oere > 0),
        gjenstaaende_beloep_oere bigint NOT NULL,
        CONSTRAINT krav_gjenstaaende_innenfor_opprinnelig
          CHECK (gjenstaaende_beloep_oere BETWEEN 0 AND opprinnelig_beloep_oere)
      )`,
      'CREATE INDEX krav_party_kravforfall_idx ON krav (party, kravforfall)',
      'CREATE INDEX krav_party_aapne_idx ON krav (party) WHERE gjenstaaende_beloep_oere > 0',
      `CREATE TABLE innbetalinger (
        innbetalingsidentifikator text PRIMARY KEY,
        party text NOT NULL CHECK (party ~ '^[0-9]{9}$'),
        innbetalingsdato date NOT NULL,
        beloep_oere bigint NOT NULL CHECK (beloep_oere > 0),
        uplassert_beloep_oere bigint NOT NULL,
        CONSTRAINT innbetalinger_uplassert_innenfor_beloep CHECK (uplassert_beloep_oere BETWEEN 0 AND beloep_oere)
      )`,
      'CREATE INDEX innbetalinger_party_dato_idx ON innbetalinger (party, innbetalingsdato)',
      'CREATE INDEX innbetalinger_party_uplassert_idx ON innbetalinger (party) WHERE uplassert_beloep_oere > 0',
    ],
  },
];

/**
 * Transaction-scoped advisory lock key: replicas starting together against one PostgreSQL take turns,
 * so no two apply the same migration or seed twice. Any constant works; it only has to be ours.
 */
export const CLAIMS_LOCK_KEY = 7_427_301;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, in one transaction.
 * Idempotent: a second call applies nothing. Returns the versions it applied.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLAIMS_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const pending = [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
    for (const migration of pending) {
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    return pending.map((m) => m.version);
  });
}
