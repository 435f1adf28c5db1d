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

/** Replies; `id` 0 is the start-up report (the image is loaded, or why not). */
export type WorkerReply =
  | { id: number; rows: SqlRow[] }
  | { id: number; tx: number }
  | { id: number; ready: true }
  | { id: number }
  | { id: number; error: WorkerError };
