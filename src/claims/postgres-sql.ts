import pg from 'pg';
import { claimsUnavailable, isClaimsOutage } from './errors.js';
import type { Sql, SqlLogger, SqlQueryable, SqlRow, SqlValue } from './sql.js';

export interface PostgresSqlOptions {
  connectionString: string;
  logger?: SqlLogger | undefined;
  /** Largest number of pooled connections. Default 10. */
  max?: number;
  /** How long to wait for a connection before the request fails with 503, in ms. Default 3000. */
  connectionTimeoutMs?: number;
  /** Server-side deadline for one statement, in ms. Default 5000. */
  statementTimeoutMs?: number;
}

/** PostgreSQL through a `pg` Pool; outages surface as `claims_unavailable`, SQL bugs stay errors. */
export function createPostgresSql(options: PostgresSqlOptions): Sql {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 3000,
    // A database that stops answering must not hold a client's request open indefinitely.
    statement_timeout: options.statementTimeoutMs ?? 5000,
    // The server-side deadline needs a server that hears us; across a network partition only a client-side
    // deadline ends the wait (the pool then drops the connection). A second later, so the server's cancel wins.
    query_timeout: (options.statementTimeoutMs ?? 5000) + 1000,
  });
  // Without a listener an idle connection dropped by the server would crash the process; the pool
  // discards that connection and the next query reports a lasting outage as 503.
  pool.on('error', (err) => options.logger?.warn({ err }, 'claims database: idle connection lost'));

  const outage = (err: unknown): never => {
    throw isClaimsOutage(err) ? claimsUnavailable(err) : err;
  };
  const guard = <T>(work: () => Promise<T>): Promise<T> => work().catch(outage);
  // pg copies the values as it binds them; the readonly list is never written to.
  const queryable = (q: pg.Pool | pg.PoolClient): SqlQueryable => ({
    query: <Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) =>
      q.query<Row>(text, params as SqlValue[]).then((result) => result.rows),
  });
  const onPool = queryable(pool);

  return {
    query: <Row extends SqlRow = SqlRow>(text: string, params?: readonly SqlValue[]) =>
      onPool.query<Row>(text, params).catch(outage),
    transaction: (fn) =>
      guard(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(queryable(client));
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (err) {
          // A failed ROLLBACK means the connection is broken: destroy it instead of returning it to the pool.
          const rollbackFailed = await client.query('ROLLBACK').then(
            () => false,
            () => true,
          );
          client.release(rollbackFailed);
          throw err;
        }
      }),
    close: () => pool.end(),
  };
}
