import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API, SECURITY_HEADERS } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { type ProxyWorld, startProxyWorld } from '../helpers/proxy-world.js';
import { forbidUnhandledErrors, headersOf, rawRequest } from './helpers.js';
import {
  type HostileUpstream,
  hostileUpstreamPaths,
  type SeenRequest,
  startHostileUpstream,
  streamOutcome,
} from './hostile-upstream.js';

/**
 * Proxy mode against a hostile upstream, through the real gateway: a proxied answer keeps the gateway's
 * guarantees (headers), the upstream hears only what the gateway vouches for (identity, forwarding), and
 * every wait has an end (upstream headers, upstream body, the whole exchange, the client's own body).
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const HEADERS_MS = 500;
const BODY_IDLE_MS = 300;
const TOTAL_MS = 1500;
const REQUEST_IDLE_MS = 300;
/** Slack for a loaded machine on top of a deadline; far below anything that would count as "held". */
const SLACK_MS = 1500;

const canonical = (name: string) => name.toLowerCase().replace(/[_.]/g, '-');
/** The request's headers as the upstream received them, name → values, names as sent. */
const rawPairs = (seen: SeenRequest) =>
  Array.from({ length: seen.rawHeaders.length / 2 }, (_, i) => [seen.rawHeaders[2 * i]!, seen.rawHeaders[2 * i + 1]!]);

let upstream: HostileUpstream;
let world: ProxyWorld;
const ekko = `${API}/${RORVANN}/ekko`;
const tillatt = `${API}/${RORVANN}/tillatt`;

beforeAll(async () => {
  upstream = await startHostileUpstream();
  world = await startProxyWorld(hostileUpstreamPaths(upstream.url), {
    upstream,
    env: {
      UPSTREAM_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      UPSTREAM_BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
      UPSTREAM_TOTAL_TIMEOUT_MS: String(TOTAL_MS),
      REQUEST_BODY_IDLE_TIMEOUT_MS: String(REQUEST_IDLE_MS),
    },
  });
});
afterAll(() => world.close());
beforeEach(() => world.reset([RORVANN]));

describe('a proxied answer is the gateway’s answer', () => {
  it('the security headers and Cache-Control: no-store win; cookies, CORS, X-Portvakt-* and hop-by-hop headers stay behind', async () => {
    const res = await world
      .get(ekko, world.issuer.token())
      .set('X-Test-Mode', 'hostile-headers')
      .set('X-Request-Id', 'klient-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ proxied: true, url: `/bak${ekko}` });
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
    for (const gone of ['expires', 'pragma', 'set-cookie', 'proxy-authenticate', 'x-upstream-hop']) {
      expect(res.headers[gone], gone).toBeUndefined();
    }
    const names = Object.keys(res.headers).map(canonical);
    expect(names.filter((n) => n.startsWith('access-control-') || n.startsWith('x-portvakt-'))).toEqual([]);
    expect(res.headers['x-request-id']).toBe('klient-1');
    expect(res.headers['keep-alive']).not.toBe('timeout=1');
    // What is the upstream's to say still reaches the client.
    expect(res.headers['x-upstream']).toBe('ja');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a proxied answer carries exactly the headers a local one does', async () => {
    const token = world.issuer.token();
    const local = await world.get(`${API}/${RORVANN}/aapnekrav`, token);
    const proxied = await world.get(ekko, token);
    expect(local.status).toBe(200);
    expect(proxied.status).toBe(200);
    const pick = (h: Record<string, string>) => Object.fromEntries(Object.keys(SECURITY_HEADERS).map((k) => [k, h[k]]));
    expect(pick(proxied.headers)).toEqual(pick(local.headers));
    expect(pick(proxied.headers)).toEqual(SECURITY_HEADERS);
  });

  it('x-portvakt-response-headers lets exactly the named headers through; the security headers still win', async () => {
    const res = await world.get(tillatt, world.issuer.token()).set('X-Test-Mode', 'hostile-headers');
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toEqual(['session=stolen; Path=/', 'other=also; Path=/']);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers['x-portvakt-trace']).toBe('upstream-trace');
    // Not named: still dropped.
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['x-portvakt-party']).toBeUndefined();
    expect(res.headers.expires).toBeUndefined();
    const { 'cache-control': _, ...security } = SECURITY_HEADERS;
    expect(res.headers).toMatchObject(security);
  });
});

describe('what the upstream hears', () => {
  it('no hop-by-hop header of the client’s, nor any header its Connection names', async () => {
    await world
      .get(ekko, world.issuer.token())
      .set('Connection', 'keep-alive, X-Client-Hop')
      .set('X-Client-Hop', 'one hop only')
      .set('Keep-Alive', 'timeout=99')
      .set('TE', 'trailers')
      .set('Upgrade', 'h2c')
      .set('Proxy-Authorization', 'Basic c3B5OnNweQ==')
      .set('X-Custom', 'kept')
      .expect(200);
    const { headers } = upstream.seen[0]!;
    for (const gone of ['x-client-hop', 'te', 'upgrade', 'proxy-authorization', 'authorization']) {
      expect(headers[gone], gone).toBeUndefined();
    }
    expect(headers['keep-alive']).not.toBe('timeout=99');
    expect(headers['x-custom']).toBe('kept');
    expect(headers.via).toBe('1.1 portvakt');
  });

  it('a look-alike of an identity header (X-Portvakt_Party, X-Portvakt.Party, …) never reaches it: only the gateway’s own', async () => {
    await world
      .get(ekko, world.issuer.token())
      .set('X-Portvakt_Party', '313367002')
      .set('X-Portvakt.Party', '313367002')
      .set('x_portvakt_systemuser_id', 'forged')
      .set('X-PORTVAKT-CONSUMER-ORG', 'forged')
      .set('X.Portvakt.System.Id', 'forged')
      .expect(200);
    const identity = rawPairs(upstream.seen[0]!).filter(([name]) => canonical(name!).startsWith('x-portvakt-'));
    expect(Object.fromEntries(identity.map(([name, value]) => [name, value]))).toEqual({
      'x-portvakt-party': RORVANN,
      'x-portvakt-systemuser-id': expect.any(String),
      'x-portvakt-system-id': '314330897_smartregnskap',
      'x-portvakt-consumer-org': '314330897',
    });
    expect(identity.map(([, value]) => value)).not.toContain('forged');
  });

  it('forwarding headers are the gateway’s (RFC 7239): what the client claims is dropped without TRUST_PROXY', async () => {
    await world
      .get(ekko, world.issuer.token())
      .set('X-Forwarded-For', '6.6.6.6')
      .set('X_Forwarded_For', '6.6.6.6')
      .set('Forwarded', 'for=6.6.6.6;host=evil.example;proto=https')
      .set('X-Real-IP', '6.6.6.6')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .expect(200);
    const seen = upstream.seen[0]!;
    const host = `127.0.0.1:${world.gateway.port}`;
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.forwarded).toBe(`for=127.0.0.1;host="${host}";proto=http`);
    expect(seen.headers['x-forwarded-host']).toBe(host);
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-real-ip']).toBeUndefined();
    expect(rawPairs(seen).filter(([, value]) => /6\.6\.6\.6|evil/.test(value!))).toEqual([]);
  });
});

describe('every wait on the upstream ends', () => {
  it('an upstream that sends half a head → 504 upstream_timeout at the header deadline', async () => {
    const res = await world
      .get(ekko, world.issuer.token())
      .set('X-Test-Mode', 'half-head')
      .timeout(HEADERS_MS + SLACK_MS);
    expectProblem(res, 504, 'upstream_timeout');
  });

  it('50 answers whose body hangs after the headers are all cut at the body idle deadline, upstream connections closed', async () => {
    const token = world.issuer.token();
    await world.get(ekko, token).expect(200); // the decision is cached: the 50 go straight to the upstream
    const headers = { authorization: `Bearer ${token}`, 'x-test-mode': 'hang-body' };
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => streamOutcome(`${world.gateway.url}${ekko}`, headers)),
    );
    expect(outcomes.every((o) => o.status === 200 && o.outcome === 'aborted')).toBe(true);
    // The gateway let go of the upstream too: each hung answer's connection was closed.
    for (let i = 0; i < 50 && (upstream.closed.get('hang-body') ?? 0) < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(upstream.closed.get('hang-body')).toBe(50);
    expect((await world.get('/health/live')).status).toBe(200);
  });

  it('an upstream that trickles a byte at a time forever is cut at the total deadline', async () => {
    const started = Date.now();
    const outcome = await streamOutcome(`${world.gateway.url}${ekko}`, {
      authorization: `Bearer ${world.issuer.token()}`,
      'x-test-mode': 'trickle-body',
    });
    expect(outcome).toEqual({ status: 200, outcome: 'aborted' });
    expect(Date.now() - started).toBeLessThan(TOTAL_MS + SLACK_MS);
  });
});

describe('every wait on the client ends', () => {
  const token = () => world.issuer.token();
  const chunkedHead = (method: string, path: string, extra: string[] = []) =>
    [
      `${method} ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token()}`,
      'Transfer-Encoding: chunked',
      ...extra,
      '',
      '',
    ].join('\r\n');

  it('a proxied request body that stops arriving → 400 request_invalid, and the connection is closed', async () => {
    const res = await rawRequest(
      world.gateway.port,
      `${chunkedHead('POST', ekko, ['Content-Type: application/json', 'X-Test-Mode: read-body'])}5\r\n{"a":\r\n`,
      REQUEST_IDLE_MS + SLACK_MS,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe('request_invalid');
    expect(headersOf(res.head).connection).toBe('close');
  });

  it('a body that trickles (never idle, never done) ends at the total deadline: 504, and the connection is closed', async () => {
    const socket = net.connect(world.gateway.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.write(chunkedHead('POST', ekko, ['Content-Type: application/json', 'X-Test-Mode: read-body']));
    const trickle = setInterval(() => socket.write('1\r\n \r\n'), REQUEST_IDLE_MS / 3);
    try {
      await Promise.race([
        once(socket, 'close'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), TOTAL_MS + SLACK_MS)),
      ]);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    const [head = '', body = ''] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n', 2);
    expect(head).toMatch(/^HTTP\/1\.1 504 /);
    expect(headersOf(head).connection).toBe('close');
    expect(JSON.parse(body).code).toBe('upstream_timeout');
  });

  it('an upstream that answers before the body is in: the answer arrives, then the connection is closed', async () => {
    const res = await rawRequest(
      world.gateway.port,
      `${chunkedHead('POST', ekko, ['Content-Type: application/json', 'X-Test-Mode: echo'])}5\r\n{"a":\r\n`,
      SLACK_MS + 1000,
    );
    expect(res.status).toBe(200);
    expect(headersOf(res.head).connection).toBe('close');
  });

  it('a chunked body that never ends on a local route: answered, and the connection closed rather than read on', async () => {
    const res = await rawRequest(
      world.gateway.port,
      `${chunkedHead('GET', `${API}/${RORVANN}/aapnekrav`)}400\r\n${'x'.repeat(1024)}\r\n`,
      SLACK_MS + 1000,
    );
    expect(res.status).toBe(200);
    expect(headersOf(res.head).connection).toBe('close');
  });

  it.each([
    ['two Host headers', `GET ${API}/${RORVANN}/ekko HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: upstream.internal\r\n`],
    ['an HTTP/2.0 request line', `GET ${API}/${RORVANN}/ekko HTTP/2.0\r\nHost: 127.0.0.1\r\n`],
    ['an HTTP/0.9 request line', `GET ${API}/${RORVANN}/ekko HTTP/0.9\r\nHost: 127.0.0.1\r\n`],
  ])('%s → 400 request_invalid, the upstream never asked', async (_name, head) => {
    const res = await rawRequest(world.gateway.port, `${head}Authorization: Bearer ${token()}\r\n\r\n`, SLACK_MS);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe('request_invalid');
    expect(headersOf(res.head)['x-content-type-options']).toBe('nosniff');
    expect(upstream.seen).toHaveLength(0);
  });
});
