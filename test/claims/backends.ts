import { randomBytes } from 'node:crypto';
import { openSql, type Sql } from '../../src/claims/sql.js';

/** A database the claims tests can run on: embedded PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export interface Backend {
  name: string;
  /** Why the backend is skipped, or undefined when it runs. */
  skip: string | undefined;
  /** A fresh, empty database (for PostgreSQL: a new schema) and how to drop it. */
  open(): Promise<{ sql: Sql; url: string | undefined; dispose(): Promise<void> }>;
}

const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

const pglite: Backend = {
  name: 'PGlite',
  skip: undefined,
  async open() {
    const sql = await openSql();
    return { sql, url: undefined, dispose: () => sql.close() };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  skip: testDatabaseUrl === undefined ? 'TEST_DATABASE_URL is not set' : undefined,
  async open() {
    const adminUrl = testDatabaseUrl!;
    // One schema per suite, set as search_path on every pooled connection: tests never share tables.
    const schema = `portvakt_test_${randomBytes(6).toString('hex')}`;
    const admin = await openSql({ databaseUrl: adminUrl });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(adminUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const sql = await openSql({ databaseUrl: url.toString() });
    return {
      sql,
      url: url.toString(),
      async dispose() {
        await sql.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [pglite, postgres];

if (postgres.skip !== undefined) {
  console.info(`claims tests: PostgreSQL backend skipped (${postgres.skip}); set it to run them against pg too.`);
}
