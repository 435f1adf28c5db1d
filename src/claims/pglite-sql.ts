import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbeddedImage } from './embedded-image.js';
import { rowsOf, type WorkerError, type WorkerReply, type WorkerRequest, type WorkerRows } from './pglite-protocol.js';
import type { Sql, SqlQueryable, SqlRow, SqlValue } from './sql.js';

export interface PgliteSqlOptions {
  /** What the new database holds at start. Default `empty`. */
  image?: EmbeddedImage | undefined;
  /** Where prepared images are kept. Default: `node_modules/.cache/portvakt`, else the OS temp directory. */
  cacheDir?: string | undefined;
}

type Pending = { resolve(reply: WorkerReply): void; reject(err: Error): void; windowed: boolean };

/**
 * Statements outside a transaction posted to the worker and not yet answered, at most. The rest wait
 * here, in order. Node delivers every reply already queued on the port in one go, each followed by the
 * request handler it resumes; a deep queue in the worker would come back as one long burst that holds up
 * the event loop (health checks included). Every wake-up of a thread costs, so the window is as wide as
 * keeps health checks quick: in `npm run bench` 4 gave 1 360 req/s, 8 1 520, 16 1 850, 32 1 700, and with
 * 16 `npm run measure` finds `/health/live` at p99 26 ms under 100 connections.
 * Statements inside a transaction and its `end` bypass it: the transaction holds the database, and the
 * statements queued behind it wait for it to finish.
 */
const MAX_POSTED = 16;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

function toError(error: WorkerError): Error {
  return Object.assign(new Error(error.message), { name: error.name }, error.fields);
}

/**
 * Run from the TypeScript sources (tests, bench), the worker needs tsx's loader, which a worker thread
 * does not inherit; compiled, it is plain JavaScript.
 */
function startWorker(workerData: { image: EmbeddedImage; cacheDir: string | undefined }): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(source ? './pglite-worker.ts' : './pglite-worker.js', import.meta.url);
  if (!source) return new Worker(entry, { workerData });
  const tsxPackage = pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = new URL('dist/esm/api/index.mjs', tsxPackage).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Embedded PostgreSQL (PGlite, WASM) in memory, on its own thread: the default claims store, so
 * `npm start` needs no database and a burst of queries never stalls the thread serving HTTP.
 * Starts from a prepared image (see `embedded-image.ts`), so it is ready in well under a second once
 * the image is cached.
 */
export async function createPgliteSql(options: PgliteSqlOptions = {}): Promise<Sql> {
  const worker = startWorker({ image: options.image ?? 'empty', cacheDir: options.cacheDir });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let gone: Error | undefined;
  let posted = 0;
  const held: (() => void)[] = [];

  const failAll = (err: Error) => {
    gone ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    held.length = 0;
  };
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, {
      resolve: (reply) => ('error' in reply ? reject(toError(reply.error)) : resolve()),
      reject,
      windowed: false,
    });
  });
  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (p.windowed) {
      posted--;
      held.shift()?.();
    }
    // An idle database does not keep the process alive (as an in-process PGlite would not); a query does.
    if (pending.size === 0) worker.unref();
    if ('error' in reply && reply.id !== 0) p.reject(toError(reply.error));
    else p.resolve(reply);
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', () => failAll(new Error('the embedded claims database has closed')));

  const call = (request: WithoutId<WorkerRequest>): Promise<WorkerReply> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    const windowed = request.op === 'begin' || (request.op === 'query' && request.tx === undefined);
    return new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject, windowed });
      const post = () => {
        if (windowed) posted++;
        worker.postMessage({ ...request, id });
      };
      if (windowed && posted >= MAX_POSTED) held.push(post);
      else post();
    });
  };
  const queryable = (tx?: number): SqlQueryable => ({
    async query<Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) {
      const reply = await call({ op: 'query', text, params: [...params], tx });
      return rowsOf<Row>((reply as { rows: WorkerRows }).rows);
    },
  });

  try {
    await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    ...queryable(),
    async transaction(fn) {
      const { tx } = (await call({ op: 'begin' })) as { tx: number };
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(queryable(tx));
      } catch (err) {
        await call({ op: 'end', tx, commit: false });
        throw err;
      }
      await call({ op: 'end', tx, commit: true });
      return result;
    },
    close() {
      if (closing === undefined) {
        const closed = call({ op: 'close' });
        gone ??= new Error('the embedded claims database has closed');
        closing = closed.then(
          () => worker.terminate().then(() => undefined),
          () => worker.terminate().then(() => undefined),
        );
      }
      return closing;
    },
  };
}
