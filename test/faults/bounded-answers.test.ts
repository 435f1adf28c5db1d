import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyTooLargeError } from '../../src/bounded-body.js';
import { createPepCredentials } from '../../src/pdp/pep-credentials.js';
import { createJsonFetcher } from '../../src/token/discovery.js';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { forbidUnhandledErrors } from './helpers.js';

/**
 * Every answer from outside is bounded in size and time: a PDP or an issuer that answers 50 MB, streams
 * without end or trickles costs the gateway at most its cap in memory and its deadline in time.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const PDP_TIMEOUT_MS = 500;
const SLACK_MS = 1000;
const MiB = 1024 * 1024;
const PERMIT = '{"Response":[{"Decision":"Permit"}]}';

type Answer = 'huge' | 'endless' | 'trickle' | 'padded-permit' | 'oversized-permit' | 'huge-jwks' | 'small-jwks';

/** A hostile HTTP server answering whatever `state.answer` says, to any request. */
async function startHostileServer() {
  const state = { answer: 'huge' as Answer };
  const server = http.createServer((req, res) => {
    req.resume();
    const timers: NodeJS.Timeout[] = [];
    res.once('close', () => {
      for (const t of timers) clearInterval(t);
    });
    switch (state.answer) {
      case 'huge': {
        // 50 MB declared and sent as fast as the gateway reads it.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(50 * MiB) });
        const chunk = Buffer.alloc(MiB, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent < 50) res.once('drain', pump);
          else res.end();
        };
        return pump();
      }
      case 'endless': {
        // No Content-Length: chunks for as long as anyone reads.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        return pump();
      }
      case 'trickle':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(' ');
        return timers.push(setInterval(() => res.write(' '), 50));
      case 'padded-permit':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(`${' '.repeat(900 * 1024)}${PERMIT}`);
      case 'oversized-permit':
        // A Permit, but behind 2 MiB of whitespace, sent at once: fast enough to beat any deadline.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(`${' '.repeat(2 * MiB)}${PERMIT}`);
      case 'huge-jwks':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ keys: [], padding: 'x'.repeat(2 * MiB) }));
      case 'small-jwks':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ keys: [] }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    state,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let hostile: Awaited<ReturnType<typeof startHostileServer>>;
beforeAll(async () => {
  hostile = await startHostileServer();
});
afterAll(() => hostile.close());

describe('the PDP’s answer is capped (1 MiB) and read within PDP_TIMEOUT_MS', () => {
  let world: GatewayWorld;
  beforeAll(async () => {
    world = await startGatewayWorld({ env: { ALTINN_PDP_URL: hostile.url, PDP_TIMEOUT_MS: String(PDP_TIMEOUT_MS) } });
  });
  afterAll(() => world.close());
  const path = `${API}/${RORVANN}/aapnekrav`;

  it.each([
    ['50 MB with a Content-Length', 'huge'],
    ['a body without end', 'endless'],
    ['a body trickling a byte every 50 ms', 'trickle'],
    ['a Permit behind 2 MiB of whitespace (over the cap, however fast)', 'oversized-permit'],
  ] as const)('%s → 503 pdp_unavailable in time', async (_name, answer) => {
    hostile.state.answer = answer;
    world.gateway.portvakt.clearDecisions();
    const token = world.issuer.token();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => world.get(path, token).timeout(PDP_TIMEOUT_MS + SLACK_MS)),
    );
    for (const res of answers) expectProblem(res, 503, 'pdp_unavailable');
  });

  it('an answer under the cap is read as usual (900 KiB of whitespace around a Permit)', async () => {
    hostile.state.answer = 'padded-permit';
    world.gateway.portvakt.clearDecisions();
    expect((await world.get(path, world.issuer.token())).status).toBe(200);
  });
});

describe('the JWKS and issuer metadata are capped (512 KiB) and read within the deadline', () => {
  it('a JWKS over the cap is refused; the gateway answers 503 jwks_unavailable', async () => {
    hostile.state.answer = 'huge-jwks';
    const world = await startGatewayWorld({
      env: { MASKINPORTEN_JWKS_URI: hostile.url },
      beforeStart: () => undefined,
    });
    try {
      expectProblem(await world.get(`${API}/${RORVANN}/aapnekrav`, world.issuer.token()), 503, 'jwks_unavailable');
      expect((await world.get('/health/ready')).status).toBe(503);
    } finally {
      await world.close();
    }
  });

  it.each([
    ['over the cap', 'huge-jwks', BodyTooLargeError],
    ['without end', 'endless', BodyTooLargeError],
    ['trickling', 'trickle', Error],
  ] as const)('a document %s is refused', async (_name, answer, kind) => {
    hostile.state.answer = answer;
    const fetchJson = createJsonFetcher({ timeoutMs: PDP_TIMEOUT_MS });
    await expect(fetchJson(hostile.url)).rejects.toBeInstanceOf(kind);
  });

  it('a small document is read', async () => {
    hostile.state.answer = 'small-jwks';
    await expect(createJsonFetcher({ timeoutMs: PDP_TIMEOUT_MS })(hostile.url)).resolves.toEqual({ keys: [] });
  });
});

describe('the PEP’s own token answers are capped (256 KiB)', () => {
  it('a Maskinporten token answer of 2 MiB → pdp_unavailable, not read whole', async () => {
    hostile.state.answer = 'huge-jwks';
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const credentials = createPepCredentials({
      tokenEndpoint: hostile.url,
      audience: 'https://test.maskinporten.no/',
      exchangeUrl: hostile.url,
      clientId: 'portvakt-pep',
      keyId: 'pep-key',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      timeoutMs: PDP_TIMEOUT_MS + SLACK_MS,
    });
    await expect(credentials.token()).rejects.toMatchObject({ code: 'pdp_unavailable' });
    await expect(credentials.token()).rejects.toThrow(/too large/);
  });
});
