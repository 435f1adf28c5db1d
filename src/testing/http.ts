import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Loopback only: the testing kit must never be reachable from another machine. */
const HOST = '127.0.0.1';

/** Request bodies above this are refused with 413; nothing the kit serves needs more. */
const MAX_BODY_BYTES = 1024 * 1024;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A started loopback server, with timers that die with it. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  readonly port: number;
  /** Runs `fn` after `ms` unless the server is closed first, so a 'slow' answer never outlives a test. */
  later(ms: number, fn: () => void): void;
  /** Stops listening and destroys every connection, hanging ones included. Safe to call twice. */
  close(): Promise<void>;
}

export async function startLocalServer(handler: Handler, port = 0): Promise<LocalServer> {
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(() => {
        // A bug in the kit must show up as a 500 in the test, not as an unhandled rejection.
        if (!res.headersSent) sendJson(res, 500, { error: 'test server error' });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    origin: `http://${HOST}:${actualPort}`,
    port: actualPort,
    later(ms, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // close() alone waits for keep-alive and hanging requests; tests must not.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Reads the whole body; rejects with `BodyTooLargeError` past 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body over ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  // The client may have given up (a 'slow' answer after its timeout); writing then would only throw.
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** Lower-cased header names (Node already lower-cases them), multi-valued headers joined with ', '. */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
