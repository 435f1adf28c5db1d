import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParserOptions, PGlite } from '@electric-sql/pglite';
import { DEMO_INNBETALINGER, DEMO_KRAV, seedDemoData } from './demo-data.js';
import { MIGRATIONS, migrate } from './migrations.js';
import type { Sql, SqlQueryable, SqlRow, SqlValue } from './sql.js';

/**
 * What a new embedded database starts from. `empty`: a bare cluster (what `initdb` leaves);
 * `demo-claims`: migrated and seeded with the demo claims.
 */
export type EmbeddedImage = 'empty' | 'demo-claims';

/**
 * `new PGlite()` runs initdb in WASM: 5-10 s on a 2-core machine. Loading a dumped data directory
 * takes well under a second, so each image is built once and kept in a cache, named by a stamp of
 * everything it was made from: another PGlite, migration or demo record makes another file.
 */
export function imageStamp(image: EmbeddedImage): string {
  const hash = createHash('sha256').update(`${PGLITE_VERSION}\n${image}\n`);
  if (image === 'demo-claims') hash.update(JSON.stringify([MIGRATIONS, DEMO_KRAV, DEMO_INNBETALINGER]));
  return hash.digest('hex').slice(0, 16);
}

/** Read from the installed package (its `exports` do not include package.json). */
const PGLITE_VERSION: string = (() => {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
})();

/**
 * `node_modules/.cache/portvakt` of the package (the convention tools such as babel and eslint follow),
 * or the OS temp directory when that cannot be written (a read-only install).
 */
export async function defaultCacheDir(): Promise<string> {
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  for (const dir of [join(packageRoot, 'node_modules', '.cache', 'portvakt'), join(tmpdir(), 'portvakt-cache')]) {
    try {
      await mkdir(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: try the next
    }
  }
  throw new Error('no writable cache directory for the embedded claims database');
}

const imageFile = (dir: string, image: EmbeddedImage) => join(dir, `${image}-${imageStamp(image)}.tar`);

/** A PGlite instance behind the driver-neutral seam, as the migrations and seed expect it. */
export function pgliteAsSql(db: PGlite): Sql {
  const queryable = (q: Pick<PGlite, 'query'>): SqlQueryable => ({
    async query<Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) {
      return (await q.query<Row>(text, [...params])).rows;
    },
  });
  return { ...queryable(db), transaction: (fn) => db.transaction((tx) => fn(queryable(tx))), close: () => db.close() };
}

export interface OpenImageOptions {
  image: EmbeddedImage;
  /** Where images are kept. Default: `defaultCacheDir()`. */
  cacheDir?: string | undefined;
  /** PGlite's type parsers to use beside its own. */
  parsers?: ParserOptions | undefined;
}

/**
 * Opens a new in-memory PGlite from the image, building the image first when the cache lacks it.
 * Several processes may build at once: each writes its own temporary file and renames it into place,
 * so a reader sees a whole image or none.
 */
export async function openImage(options: OpenImageOptions): Promise<PGlite> {
  const dir = options.cacheDir ?? (await defaultCacheDir());
  const file = imageFile(dir, options.image);
  if (existsSync(file)) {
    const db = new PGlite({ loadDataDir: await openAsBlob(file), parsers: options.parsers });
    await db.waitReady;
    return db;
  }
  const db =
    options.image === 'empty'
      ? new PGlite({ parsers: options.parsers })
      : await openImage({ ...options, image: 'empty' });
  await db.waitReady;
  if (options.image === 'demo-claims') {
    const sql = pgliteAsSql(db);
    await migrate(sql);
    await seedDemoData(sql);
  }
  // Uncompressed: a gzip image is a tenth of the size but takes twice as long to load.
  const dump = await db.dumpDataDir('none');
  const partial = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
  await rename(partial, file);
  await removeStaleImages(dir, options.image, file);
  return db;
}

/** Older images of the same kind are ~40 MB each and never read again. */
async function removeStaleImages(dir: string, image: EmbeddedImage, keep: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => name.startsWith(`${image}-`) && name.endsWith('.tar'));
  await Promise.all(
    stale
      .map((name) => join(dir, name))
      .filter((path) => path !== keep)
      .map((path) => rm(path, { force: true })),
  );
}

/**
 * Builds every image the cache lacks (`portvakt prepare`, run by `npm ci`), so the first `npm start`
 * loads instead of building. Returns the image files.
 */
export async function prepareEmbeddedImages(cacheDir?: string): Promise<string[]> {
  const dir = cacheDir ?? (await defaultCacheDir());
  const images: EmbeddedImage[] = ['empty', 'demo-claims'];
  for (const image of images) {
    if (!existsSync(imageFile(dir, image))) await (await openImage({ image, cacheDir: dir })).close();
  }
  return images.map((image) => imageFile(dir, image));
}
