import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Collects every unhandled rejection and uncaught exception while the file runs and fails the file
 * if there was one: a fault must end as an answer, never as a promise nobody awaited.
 */
export function forbidUnhandledErrors(): void {
  const seen: unknown[] = [];
  const record = (err: unknown) => seen.push(err);
  beforeAll(() => {
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterAll(async () => {
    // Late rejections (a timer firing after the last answer) get a moment to show.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    expect(seen.map(String)).toEqual([]);
  });
}

/** Polls until `send` answers `status` or `withinMs` passes; resolves the last status either way. */
export async function eventually(send: () => PromiseLike<{ status: number }>, status: number, withinMs: number) {
  const until = Date.now() + withinMs;
  for (;;) {
    const res = await send();
    if (res.status === status || Date.now() > until) return res.status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A port nothing listens on (taken and released at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A TCP proxy on loopback that can be cut like a network: `'open'` forwards; `'refuse'` resets every
 * connection (a database that went away); `'blackhole'` keeps connections open but forwards nothing
 * in either direction (a partition, where only timeouts help). `restore()` goes back to `'open'`.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let mode: 'open' | 'refuse' | 'blackhole' = 'open';
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>();
  const proxy = net.createServer((client) => {
    if (mode === 'refuse') return client.resetAndDestroy();
    const server = net.connect(target.port, target.host);
    const pair = { client, server };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
    client.on('data', (chunk) => {
      if (mode === 'open') server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (mode === 'open') client.write(chunk);
    });
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as AddressInfo;
  return {
    port,
    /** Every current connection reset, new ones refused. */
    cut() {
      mode = 'refuse';
      for (const { client, server } of pairs) {
        client.resetAndDestroy();
        server.destroy();
      }
      pairs.clear();
    },
    /** Connections stay up but carry nothing. */
    blackhole() {
      mode = 'blackhole';
    },
    restore() {
      mode = 'open';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, server } of pairs) {
          client.destroy();
          server.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}

/** A raw HTTP/1.1 exchange over a fresh socket: the exact bytes, no client-side validation or normalization. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000) {
  return new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body });
    });
    // Not end(): a half-closed client makes Node drop a response still being prepared.
    socket.write(bytes);
  });
}

/** Parses a raw response head into the header record the contract checker takes. */
export function headersOf(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

export { http };
