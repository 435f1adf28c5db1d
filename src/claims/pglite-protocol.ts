import type { SqlRow, SqlValue } from './sql.js';

/** Messages to the embedded database's thread. `id` pairs each with its reply. */
export type WorkerRequest =
  | { id: number; op: 'query'; text: string; params: SqlValue[]; tx?: number | undefined }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

/** An error as plain data: name, message and the driver's own fields (SQLSTATE `code`, `detail`, …). */
export interface WorkerError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/**
 * A statement's rows as they cross threads: one array of values per row, and the JSON columns (listed by
 * index) still as their text. Cloning nested objects between threads cost more than the statement itself
 * (`npm run bench`); the gateway's thread parses the JSON, as the `pg` driver does.
 */
export interface WorkerRows {
  columns: string[];
  jsonColumns: number[];
  values: unknown[][];
}

/** The rows of a `WorkerRows` as the store reads them: objects by column name, JSON parsed. */
export function rowsOf<Row extends SqlRow>({ columns, jsonColumns, values }: WorkerRows): Row[] {
  return values.map((row) => {
    const out: SqlRow = {};
    for (let i = 0; i < columns.length; i++) out[columns[i]!] = row[i];
    for (const i of jsonColumns) {
      const text = row[i];
      if (typeof text === 'string') out[columns[i]!] = JSON.parse(text);
    }
    return out as Row;
  });
}

/** Replies; `id` 0 is the start-up report (the image is loaded, or why not). */
export type WorkerReply =
  | { id: number; rows: WorkerRows }
  | { id: number; tx: number }
  | { id: number; ready: true }
  | { id: number }
  | { id: number; error: WorkerError };
