import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemUserIdFor } from '../../src/testing/index.js';
import { API } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { type ProxiedPaths, type ProxyWorld, proxiedOperation, startProxyWorld } from '../helpers/proxy-world.js';

const RORVANN = '310478717';
const UPSTREAM_TIMEOUT_MS = 300;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real upstream on loopback: records what it was sent, echoes it, and stalls when asked to. */
async function startUpstream() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      const delay = Number(req.headers['x-test-delay'] ?? 0);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': 'ja', 'Keep-Alive': 'timeout=1' });
        res.end(JSON.stringify({ proxied: true, url: entry.url }));
      }, delay).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Two operations added to openapi.yaml — no code change: `ekko` (GET and POST) forwarded to the test
 * upstream, `nede` forwarded to a port nothing listens on.
 */
function proxiedPaths(upstream: string, dead: string): ProxiedPaths {
  return {
    ekko: {
      get: proxiedOperation('ekko', `${upstream}/bak`, {
        parameters: [
          { name: 'antall', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
        ],
      }),
      post: proxiedOperation('ekkoPost', `${upstream}/bak`, {
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      }),
    },
    nede: { get: proxiedOperation('nede', dead) },
  };
}

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let world: ProxyWorld;
beforeAll(async () => {
  upstream = await startUpstream();
  const paths = proxiedPaths(upstream.url, `http://127.0.0.1:${await deadPort()}`);
  world = await startProxyWorld(paths, { upstream, gateway: { upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS } });
});
afterAll(() => world.close());
beforeEach(() => world.reset([RORVANN]));

describe('proxy mode (x-portvakt-upstream)', () => {
  it('forwards an authorized request with the identity headers, without the token or forged X-Portvakt-*', async () => {
    const res = await world
      .get(`${API}/${RORVANN}/ekko?side=2`, world.issuer.token())
      .set('X-Portvakt-Party', '313367002')
      .set('X-Portvakt-Admin', 'true')
      .set('X-Custom', 'beholdes')
      .set('Connection', 'keep-alive, X-Hop')
      .set('X-Hop', 'bare ett hopp');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ proxied: true, url: `/bak${API}/${RORVANN}/ekko?side=2` });
    expect(res.headers['x-upstream']).toBe('ja');
    expect(res.headers['keep-alive']).not.toBe('timeout=1');
    expect(upstream.seen).toHaveLength(1);
    const { headers } = upstream.seen[0]!;
    expect(headers['x-portvakt-party']).toBe(RORVANN);
    expect(headers['x-portvakt-systemuser-id']).toBe(systemUserIdFor(RORVANN));
    expect(headers['x-portvakt-system-id']).toBe('314330897_smartregnskap');
    expect(headers['x-portvakt-consumer-org']).toBe('314330897');
    expect(headers['x-portvakt-admin']).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-hop']).toBeUndefined();
    expect(headers['x-custom']).toBe('beholdes');
    expect(headers['x-request-id']).toBe(res.headers['x-request-id']);
  });

  it('forwards a request body', async () => {
    const res = await world.http
      .post(`${API}/${RORVANN}/ekko`)
      .set('Authorization', `Bearer ${world.issuer.token()}`)
      .send({ hei: 'upstream' });
    expect(res.status).toBe(200);
    expect(upstream.seen[0]).toEqual(expect.objectContaining({ method: 'POST', body: '{"hei":"upstream"}' }));
  });

  it('validates the query from the spec before the PDP: no code for a new operation', async () => {
    const token = world.issuer.token();
    const calls = world.pdp.calls.length;
    for (const bad of ['abc', '0', '101', '5&antall=6']) {
      const res = await world.get(`${API}/${RORVANN}/ekko?antall=${bad}`, token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('request_invalid');
    }
    expect(world.pdp.calls.length).toBe(calls);
    expect((await world.get(`${API}/${RORVANN}/ekko?antall=5`, token)).status).toBe(200);
  });

  it('never calls the upstream for a refused request', async () => {
    expectProblem(await world.get(`${API}/${RORVANN}/ekko`), 401, 'token_missing');
    expectProblem(await world.get(`${API}/313367002/ekko`, world.issuer.token()), 403, 'access_denied');
    expectProblem(await world.get(`${API}/310478718/ekko`, world.issuer.token()), 400, 'party_invalid');
    expect(upstream.seen).toHaveLength(0);
  });

  it('answers 502 upstream_unavailable when the upstream cannot be reached', async () => {
    const res = await world.get(`${API}/${RORVANN}/nede`, world.issuer.token());
    expectProblem(res, 502, 'upstream_unavailable');
  });

  it('answers 504 upstream_timeout when the upstream is slower than the timeout', async () => {
    const started = Date.now();
    const res = await world.get(`${API}/${RORVANN}/ekko`, world.issuer.token()).set('X-Test-Delay', '2000');
    expectProblem(res, 504, 'upstream_timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses a chunked body over 1 MiB with 413 and does not pass it on whole', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${world.gateway.url}${API}/${RORVANN}/ekko`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${world.issuer.token()}`, 'Content-Type': 'application/octet-stream' },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 1);
      for (let i = 0; i < 17; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('payload_too_large');
    expect(upstream.seen.every((s) => s.body.length <= 1024 * 1024)).toBe(true);
  });
});
