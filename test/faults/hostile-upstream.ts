import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ProxiedPaths, proxiedOperation } from '../helpers/proxy-world.js';

/**
 * What a hostile upstream does with one request, chosen by the client's `X-Test-Mode` header (which the
 * gateway forwards like any other), so concurrent tests never share a switch:
 * - `echo` (default): 200 JSON naming the path it was asked for.
 * - `hostile-headers`: 200 JSON, with every header an upstream should not be able to pass to a client.
 * - `hang-headers`: never answers. `half-head`: sends a status line and one header, then nothing.
 * - `hang-body`: sends its headers and part of the body, then nothing, forever.
 * - `trickle-body`: sends its headers, then one byte every 50 ms, forever.
 * - `read-body`: reads the whole request body, then answers with its size.
 */
export type UpstreamMode =
  | 'echo'
  | 'hostile-headers'
  | 'hang-headers'
  | 'half-head'
  | 'hang-body'
  | 'trickle-body'
  | 'read-body';

/** Every header the adversarial run saw an upstream pass to the client, and then some. */
export const HOSTILE_RESPONSE_HEADERS: [string, string][] = [
  ['Cache-Control', 'public, max-age=86400'],
  ['Expires', 'Thu, 01 Jan 2099 00:00:00 GMT'],
  ['Pragma', 'cache'],
  ['Content-Security-Policy', 'default-src *'],
  ['X-Frame-Options', 'ALLOWALL'],
  ['Strict-Transport-Security', 'max-age=0'],
  ['X-Content-Type-Options', 'sniff'],
  ['Referrer-Policy', 'unsafe-url'],
  ['Cross-Origin-Resource-Policy', 'cross-origin'],
  ['Set-Cookie', 'session=stolen; Path=/'],
  ['Set-Cookie', 'other=also; Path=/'],
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Credentials', 'true'],
  ['X-Portvakt-Party', '313367002'],
  ['X-Portvakt_Party', '313367002'],
  ['X-Portvakt.Systemuser-Id', 'forged'],
  ['X-Portvakt-Trace', 'upstream-trace'],
  ['X-Request-Id', 'upstream-chose-this'],
  ['Keep-Alive', 'timeout=1'],
  ['Proxy-Authenticate', 'Basic realm="upstream"'],
  ['Connection', 'X-Upstream-Hop'],
  ['X-Upstream-Hop', 'one hop only'],
  ['X-Upstream', 'ja'],
];

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  mode: UpstreamMode;
}

export async function startHostileUpstream() {
  const seen: SeenRequest[] = [];
  /** Requests whose connection the gateway has closed, by mode (a hung answer must not stay open). */
  const closed = new Map<UpstreamMode, number>();
  const server = http.createServer((req, res) => {
    const mode = (req.headers['x-test-mode'] as UpstreamMode | undefined) ?? 'echo';
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, mode });
    res.once('close', () => closed.set(mode, (closed.get(mode) ?? 0) + 1));
    if (mode !== 'read-body') req.resume();
    const json = (status: number, body: unknown, extra: [string, string][] = []) => {
      const text = JSON.stringify(body);
      const head: string[] = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(text))];
      for (const [name, value] of extra) head.push(name, value);
      res.writeHead(status, head);
      res.end(text);
    };
    switch (mode) {
      case 'hostile-headers':
        return json(200, { proxied: true, url: req.url }, HOSTILE_RESPONSE_HEADERS);
      case 'hang-headers':
        return;
      case 'half-head':
        return req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n');
      case 'hang-body':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        return res.write('{"proxied": true, "rest": "');
      case 'trickle-body': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 50);
        return res.once('close', () => clearInterval(timer));
      }
      case 'read-body': {
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
        });
        return req.on('end', () => json(200, { proxied: true, size }));
      }
      default:
        return json(200, { proxied: true, url: req.url });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    closed,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type HostileUpstream = Awaited<ReturnType<typeof startHostileUpstream>>;

/** Allow-list of the `tillatt` operation: what it lets its upstream say to clients. */
export const ALLOWED_ON_TILLATT = ['Set-Cookie', 'Access-Control-Allow-Origin', 'Cache-Control', 'X-Portvakt-Trace'];

/**
 * Proxied operations as a deployment would add them to openapi.yaml: `ekko` (GET, POST) under the default
 * header policy, and `tillatt` (GET) with an `x-portvakt-response-headers` allow-list.
 */
export function hostileUpstreamPaths(upstream: string): ProxiedPaths {
  const target = `${upstream}/bak`;
  return {
    ekko: {
      get: proxiedOperation('ekko', target),
      post: proxiedOperation('ekkoPost', target, {
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      }),
    },
    tillatt: { get: proxiedOperation('tillatt', target, { 'x-portvakt-response-headers': ALLOWED_ON_TILLATT }) },
  };
}

/** How a streamed answer ended for the client: complete, or cut short after the status line. */
export function streamOutcome(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; outcome: 'ended' | 'aborted' | 'error' }>((resolve) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const status = res.statusCode!;
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status, outcome: 'ended' }));
      res.on('error', () => resolve({ status, outcome: 'aborted' }));
      res.on('aborted', () => resolve({ status, outcome: 'aborted' }));
    });
    req.on('error', () => resolve({ status: 0, outcome: 'error' }));
  });
}
