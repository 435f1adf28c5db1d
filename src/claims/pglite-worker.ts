/**
 * The embedded database's thread. PGlite is PostgreSQL compiled to WASM: every statement runs
 * synchronously on the thread that calls it, so on the gateway's thread a burst of queries would hold
 * up every other request (health checks included). Here it runs beside it, and answers messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type PGlite, type QueryOptions, type Results, type Transaction, types } from '@electric-sql/pglite';
import { type EmbeddedImage, openImage } from './embedded-image.js';
import type { WorkerReply, WorkerRequest, WorkerRows } from './pglite-protocol.js';
import type { SqlValue } from './sql.js';

if (parentPort === null) throw new Error('pglite-worker must run in a worker thread');
const port = parentPort;
const { image, cacheDir } = workerData as { image: EmbeddedImage; cacheDir: string | undefined };

const reply = (message: WorkerReply) => port.postMessage(message);
const failure = (err: unknown) => {
  const { message, name, ...fields } = err instanceof Error ? err : new Error(String(err));
  // Only plain data crosses threads: keep the SQLSTATE `code`, `detail` and the like, drop functions.
  const plain = Object.fromEntries(
    Object.entries(fields).filter(([, v]) => typeof v !== 'function' && typeof v !== 'object'),
  );
  return { message, name, fields: plain };
};

interface OpenTransaction {
  tx: Transaction;
  end(commit: boolean): Promise<void>;
}

const JSON_TYPES = new Set<number>([types.JSON, types.JSONB]);
const keepText = (text: string) => text;
/** JSON stays text here (set once on the database: passed per statement, PGlite copies its whole parser table). */
const JSON_AS_TEXT = { [types.JSON]: keepText, [types.JSONB]: keepText };
const AS_ARRAYS: QueryOptions = { rowMode: 'array' };

function sent(result: Results | undefined): WorkerRows {
  const fields = result?.fields ?? [];
  return {
    columns: fields.map((f) => f.name),
    jsonColumns: fields.flatMap((f, i) => (JSON_TYPES.has(f.dataTypeID) ? [i] : [])),
    values: (result?.rows ?? []) as unknown[][],
  };
}

let nextTx = 1;
const transactions = new Map<number, OpenTransaction>();
const ROLLBACK = Symbol('rollback');

/** Most statements a session keeps prepared; beyond it, the rest are planned at each call. */
const MAX_PREPARED = 64;

/** A bind value as an SQL literal of unknown type, which PostgreSQL casts to the parameter's type. */
function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  const text = String(value);
  if (text.includes('\0')) throw new Error('a bind value contains a NUL character');
  // standard_conforming_strings is on (the default since PostgreSQL 9.1): only quotes need doubling.
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * PGlite's `query` parses and plans a statement at every call: most of the ~1 ms a claims query costs.
 * Statements run outside a transaction are prepared once per session (`PREPARE`) and then run with
 * `EXECUTE` and literal arguments, which skips both. Those PostgreSQL cannot prepare on their own
 * (a parameter of unknown type, several statements) keep going through `query`.
 */
function createStatementCache(db: PGlite) {
  const names = new Map<string, string | null>();
  return {
    async run(text: string, params: SqlValue[]): Promise<WorkerRows> {
      let name = names.get(text);
      if (name === undefined && params.length > 0 && names.size < MAX_PREPARED) {
        name = `portvakt_${names.size + 1}`;
        const ok = await db.exec(`PREPARE ${name} AS ${text}`).then(
          () => true,
          () => false,
        );
        if (!ok) name = null;
        names.set(text, name);
      }
      if (!name) return sent(await db.query(text, params, AS_ARRAYS));
      const [result] = await db.exec(`EXECUTE ${name}(${params.map(literal).join(', ')})`, AS_ARRAYS);
      return sent(result);
    },
  };
}

let statements: ReturnType<typeof createStatementCache>;

async function handle(db: PGlite, request: WorkerRequest): Promise<void> {
  const { id } = request;
  try {
    switch (request.op) {
      case 'query': {
        if (request.tx === undefined) return reply({ id, rows: await statements.run(request.text, request.params) });
        const tx = transactions.get(request.tx)?.tx;
        if (tx === undefined) throw new Error('transaction already finished');
        return reply({ id, rows: sent(await tx.query(request.text, request.params, AS_ARRAYS)) });
      }
      case 'begin': {
        const txId = nextTx++;
        // PGlite runs one transaction at a time; the next `begin` waits here until this one has ended.
        const done = db.transaction(
          (tx) =>
            new Promise<void>((resolve, reject) => {
              const end = (commit: boolean) => {
                if (commit) resolve();
                else reject(ROLLBACK);
                return done;
              };
              transactions.set(txId, { tx, end });
              reply({ id, tx: txId });
            }),
        );
        done.catch(() => undefined);
        return;
      }
      case 'end': {
        const open = transactions.get(request.tx);
        if (open === undefined) throw new Error('transaction already finished');
        transactions.delete(request.tx);
        // Settles once PGlite has run COMMIT (or ROLLBACK); a failed COMMIT is reported to the caller.
        await open.end(request.commit).catch((err: unknown) => {
          if (err !== ROLLBACK) throw err;
        });
        return reply({ id });
      }
      case 'close':
        await db.close();
        reply({ id });
        port.close();
        return;
    }
  } catch (err) {
    reply({ id, error: failure(err) });
  }
}

// At the process's own priority: a lower one bought the event loop nothing the reply window does not
// (docs/performance-data-path.md) and let any other busy process starve the database.
try {
  const db = await openImage({ image, cacheDir, parsers: JSON_AS_TEXT });
  statements = createStatementCache(db);
  port.on('message', (request: WorkerRequest) => void handle(db, request));
  reply({ id: 0, ready: true });
} catch (err) {
  reply({ id: 0, error: failure(err) });
}
