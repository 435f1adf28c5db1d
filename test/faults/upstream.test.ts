import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API, type GatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { proxiedOperation, startProxyWorld } from '../helpers/proxy-world.js';
import { forbidUnhandledErrors, freePort } from './helpers.js';

/**
 * Proxy mode with an upstream that misbehaves. test/gateway/proxy.test.ts covers a port nothing
 * listens on (502) and a slow upstream (504); here the upstream resets, speaks garbage, dies mid-body,
 * and goes down and comes back on the same port — the gateway answers each and recovers by itself.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const UPSTREAM_TIMEOUT_MS = 400;
type Mode = 'ok' | 'reset' | 'garbage' | 'cut-body' | 'hang';

/** A loopback upstream on a fixed port that can be stopped and started again there. */
function createUpstream(port: number) {
  const state = { mode: 'ok' as Mode, seen: 0 };
  let server: http.Server | undefined;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    state.seen += 1;
    switch (state.mode) {
      case 'reset':
        return req.socket.resetAndDestroy();
      case 'garbage':
        return req.socket.end('SMTP 220 ready\r\n\r\n');
      case 'cut-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"proxied": true, "rest": "');
        return setTimeout(() => req.socket.destroy(), 20);
      case 'hang':
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ proxied: true }));
    }
  };
  return {
    state,
    async start() {
      server = http.createServer(handle);
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
  };
}

let world: GatewayWorld;
let upstream: ReturnType<typeof createUpstream>;
const path = `${API}/${RORVANN}/videre`;
beforeAll(async () => {
  const port = await freePort();
  upstream = createUpstream(port);
  await upstream.start();
  // openapi.yaml plus one operation forwarded to the upstream (as proxy.test.ts does, no code change).
  world = await startProxyWorld(
    { videre: { get: proxiedOperation('videre', `http://127.0.0.1:${port}`) } },
    { gateway: { upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS } },
  );
  world.permit(RORVANN);
});
afterAll(async () => {
  await world.close();
  await upstream.stop();
});
beforeEach(() => {
  upstream.state.mode = 'ok';
});

describe('upstream faults in proxy mode', () => {
  it.each([
    ['resets the connection', 'reset', 502, 'upstream_unavailable'],
    ['answers something that is not HTTP', 'garbage', 502, 'upstream_unavailable'],
    ['never answers', 'hang', 504, 'upstream_timeout'],
  ] as const)('an upstream that %s (%s) → %i %s, then 200 once it behaves', async (_name, mode, status, code) => {
    const token = world.issuer.token();
    upstream.state.mode = mode;
    expectProblem(await world.get(path, token).timeout(UPSTREAM_TIMEOUT_MS + 1000), status, code);
    upstream.state.mode = 'ok';
    expect((await world.get(path, token).timeout(UPSTREAM_TIMEOUT_MS + 1000)).status).toBe(200);
  });

  it('an upstream that dies mid-body cuts the response short; the gateway carries on', async () => {
    const token = world.issuer.token();
    upstream.state.mode = 'cut-body';
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${world.gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(`ended ${res.statusCode}`));
        res.on('error', () => resolve('aborted'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('aborted'));
    });
    // The status line had gone out; a complete-looking body would be a lie.
    expect(outcome).toBe('aborted');
    upstream.state.mode = 'ok';
    expect((await world.get(path, token)).status).toBe(200);
  });

  it('an upstream that goes down and comes back on the same port: 502 meanwhile, 200 after, no restart', async () => {
    const token = world.issuer.token();
    await upstream.stop();
    try {
      expectProblem(await world.get(path, token).timeout(UPSTREAM_TIMEOUT_MS + 1000), 502, 'upstream_unavailable');
      expect((await world.get('/health/ready')).status).toBe(200);
    } finally {
      await upstream.start();
    }
    expect((await world.get(path, token).timeout(UPSTREAM_TIMEOUT_MS + 1000)).status).toBe(200);
  });
});
