import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, imageStamp, prepareEmbeddedImages } from '../../src/claims/embedded-image.js';
import { createPgliteSql } from '../../src/claims/pglite-sql.js';
import type { Sql } from '../../src/claims/sql.js';

/** The embedded database on its own thread, behind the same `Sql` seam as PostgreSQL. */
describe('embedded PGlite on a worker thread', () => {
  let sql: Sql;
  beforeAll(async () => {
    sql = await createPgliteSql();
    await sql.query('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)');
  });
  afterAll(() => sql.close());

  it('passes bind values as data, quotes and all, on the prepared path too', async () => {
    const hostile = "O'Brien'); DROP TABLE notes; --";
    for (let i = 0; i < 3; i++) {
      const [row] = await sql.query<{ v: string }>('SELECT $1::text AS v', [hostile]);
      expect(row?.v).toBe(hostile);
    }
    await sql.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [1, hostile]);
    expect(await sql.query('SELECT body FROM notes WHERE id = $1', [1])).toEqual([{ body: hostile }]);
  });

  it('keeps the SQLSTATE of a failed statement across the thread', async () => {
    await expect(sql.query('SELECT 1 / $1::integer AS x', [0])).rejects.toMatchObject({ code: '22012' });
    await expect(sql.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [1, 'again'])).rejects.toMatchObject({
      code: '23505',
    });
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await sql.transaction(async (tx) => {
      await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [2, 'kept']);
    });
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [3, 'dropped']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = await sql.query<{ id: number }>('SELECT id FROM notes ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
  });

  it('rejects every call after close', async () => {
    const other = await createPgliteSql();
    await other.close();
    await expect(other.query('SELECT 1')).rejects.toThrow(/closed/);
  });
});

describe('prepared images', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portvakt-images-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are named by a stamp of what they hold, rebuilt when it changes, and the old one removed', async () => {
    expect(imageStamp('empty')).not.toBe(imageStamp('demo-claims'));
    // Start from the cached bare cluster (building it runs initdb: seconds), and an outdated demo image.
    const cache = await defaultCacheDir();
    await prepareEmbeddedImages(cache);
    const empty = `empty-${imageStamp('empty')}.tar`;
    await copyFile(join(cache, empty), join(dir, empty));
    await writeFile(join(dir, 'demo-claims-0000000000000000.tar'), 'outdated');

    await prepareEmbeddedImages(dir);
    expect((await readdir(dir)).sort()).toEqual([`demo-claims-${imageStamp('demo-claims')}.tar`, empty].sort());
    const sql = await createPgliteSql({ image: 'demo-claims', cacheDir: dir });
    try {
      const [row] = await sql.query<{ n: unknown }>('SELECT count(*) AS n FROM krav');
      expect(Number(row?.n)).toBeGreaterThan(0);
    } finally {
      await sql.close();
    }
  }, 60_000);
});
