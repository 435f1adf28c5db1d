/**
 * The one seam between the claims repository and a database driver. PGlite and PostgreSQL both sit
 * behind it, so every statement in this folder is written once and runs on both.
 */

/** A bind parameter. Dates are passed as YYYY-MM-DD strings and cast in SQL (`$1::date`). */
export type SqlValue = string | number | bigint | boolean | null;

export type SqlRow = Record<string, unknown>;

export interface SqlQueryable {
  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<Row extends SqlRow = SqlRow>(text: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

export interface Sql extends SqlQueryable {
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Something that reports a dropped idle connection; pino's logger fits. */
export interface SqlLogger {
  warn(obj: object, msg: string): void;
}

export interface OpenSqlOptions {
  /** `postgres://` or `postgresql://` URL; unset → a new embedded, in-memory PGlite. */
  databaseUrl?: string | undefined;
  logger?: SqlLogger | undefined;
  /** Embedded only: start empty (default) or from the migrated, demo-seeded image. */
  embeddedImage?: 'empty' | 'demo-claims' | undefined;
  /** Embedded only: where prepared images are cached. Default `node_modules/.cache/portvakt`. */
  embeddedCacheDir?: string | undefined;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** Opens the database the options name. Drivers are imported lazily so one never loads the other. */
export async function openSql(options: OpenSqlOptions = {}): Promise<Sql> {
  const { databaseUrl, logger } = options;
  if (databaseUrl === undefined) {
    const { createPgliteSql } = await import('./pglite-sql.js');
    return createPgliteSql({ image: options.embeddedImage, cacheDir: options.embeddedCacheDir });
  }
  if (!POSTGRES_URL.test(databaseUrl)) {
    // Never echo the URL: it may hold a password.
    throw new Error('The claims database URL must start with postgres:// or postgresql://.');
  }
  const { createPostgresSql } = await import('./postgres-sql.js');
  return createPostgresSql({ connectionString: databaseUrl, logger });
}
