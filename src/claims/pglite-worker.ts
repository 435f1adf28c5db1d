/**
 * The embedded database's thread. PGlite is PostgreSQL compiled to WASM: every statement runs
 * synchronously on the thread that calls it, so on the gateway's thread a burst of queries would hold
 * up every other request (health checks included). Here it runs beside it, and answers messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { type EmbeddedImage, openImage } from './embedded-image.js';
import type { WorkerReply, WorkerRequest } from './pglite-protocol.js';
import type { SqlRow } from './sql.js';

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

let nextTx = 1;
const transactions = new Map<number, OpenTransaction>();
const ROLLBACK = Symbol('rollback');

async function handle(db: PGlite, request: WorkerRequest): Promise<void> {
  const { id } = request;
  try {
    switch (request.op) {
      case 'query': {
        const target = request.tx === undefined ? db : transactions.get(request.tx)?.tx;
        if (target === undefined) throw new Error('transaction already finished');
        const result = await target.query<SqlRow>(request.text, request.params);
        return reply({ id, rows: result.rows });
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

try {
  const db = await openImage({ image, cacheDir });
  port.on('message', (request: WorkerRequest) => void handle(db, request));
  reply({ id: 0, ready: true });
} catch (err) {
  reply({ id: 0, error: failure(err) });
}
