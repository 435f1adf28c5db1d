import { PGlite } from '@electric-sql/pglite';
import type { Sql, SqlQueryable, SqlRow, SqlValue } from './sql.js';

/**
 * Embedded PostgreSQL (WASM) in memory: the default claims store, so `npm start` needs no database.
 * Pass an existing instance to share it (it is then still closed by `close()`).
 */
export async function createPgliteSql(db: PGlite = new PGlite()): Promise<Sql> {
  await db.waitReady;
  const queryable = (q: Pick<PGlite, 'query'>): SqlQueryable => ({
    async query<Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) {
      const result = await q.query<Row>(text, [...params]);
      return result.rows;
    },
  });
  return {
    ...queryable(db),
    transaction: (fn) => db.transaction((tx) => fn(queryable(tx))),
    close: () => db.close(),
  };
}
