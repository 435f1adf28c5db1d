import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalServer, readBody, send, sendJson, startLocalServer } from '../../src/testing/http.js';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { forbidUnhandledErrors } from './helpers.js';

/**
 * The gateway's own Altinn token (PEP credentials) failing: Maskinporten's token endpoint or Altinn's
 * exchange down, slow or answering garbage. Each is 503 pdp_unavailable (never a crash, never a
 * PDP call without the token), retried on the next request, and recovered without a restart.
 * test/pdp/pep-credentials.test.ts covers the credentials module alone; this drives `portvakt serve`.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const PDP_TIMEOUT_MS = 500;
const BOUND_MS = PDP_TIMEOUT_MS + 1000;
const path = `${API}/${RORVANN}/aapnekrav`;

type Mode = 'ok' | 'error' | 'hang' | 'garbage';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An Altinn-shaped JWT (unsigned as far as the gateway cares: it only reads `exp` to know when to renew). */
const altinnToken = (n: number, lifeSeconds: number) =>
  `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + lifeSeconds, n })}.c2lnbmF0dXJl`;

/**
 * The issuer origin as the gateway sees it: its `/token` is a controllable Maskinporten token endpoint
 * and `/exchange` a controllable Altinn exchange. The signing keys still come from the kit issuer
 * (MASKINPORTEN_JWKS_URI), and tokens are minted with this origin as `iss`.
 */
async function startMaskinportenAndExchange() {
  const state = {
    grant: 'ok' as Mode,
    exchange: 'ok' as Mode,
    grants: 0,
    exchanges: 0,
    issued: [] as string[],
    /** Life of the Altinn tokens the exchange issues, in seconds. */
    life: 1800,
  };
  const fail = (mode: Mode, res: ServerResponse) => {
    if (mode === 'error') sendJson(res, 500, { error: 'server_error', error_description: 'down for maintenance' });
    else if (mode === 'garbage') send(res, 200, '<html>not a token', { 'content-type': 'application/json' });
    // 'hang': no answer at all.
  };
  const server: LocalServer = await startLocalServer(async (req: IncomingMessage, res: ServerResponse) => {
    await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/token') {
      state.grants += 1;
      if (state.grant !== 'ok') return fail(state.grant, res);
      return sendJson(res, 200, { access_token: `mp-token-${state.grants}`, token_type: 'Bearer', expires_in: 120 });
    }
    if (req.method === 'GET' && url.pathname === '/exchange') {
      state.exchanges += 1;
      if (state.exchange !== 'ok') return fail(state.exchange, res);
      const token = altinnToken(state.exchanges, state.life);
      state.issued.push(token);
      return send(res, 200, JSON.stringify(token), { 'content-type': 'text/plain' });
    }
    sendJson(res, 404, { error: 'not_found' });
  });
  return { state, server, issuer: `${server.origin}/`, exchangeUrl: `${server.origin}/exchange` };
}

let front: Awaited<ReturnType<typeof startMaskinportenAndExchange>>;
let world: GatewayWorld;
let token: () => string;
let pem: string;
beforeAll(async () => {
  front = await startMaskinportenAndExchange();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const env: Record<string, string> = {
    MASKINPORTEN_ISSUER: front.issuer,
    PDP_TIMEOUT_MS: String(PDP_TIMEOUT_MS),
    ALTINN_TOKEN_EXCHANGE_URL: front.exchangeUrl,
    PEP_CLIENT_ID: 'portvakt-pep',
    PEP_KEY_ID: 'pep-1',
    PEP_PRIVATE_KEY: pem,
  };
  world = await startGatewayWorld({
    env,
    // The kit issuer exists only now; the env is read after this hook.
    beforeStart: ({ issuer }) => {
      env.MASKINPORTEN_JWKS_URI = issuer.jwksUri;
    },
  });
  await world.gateway.portvakt.loadKeys();
  // The kit issuer signs; the gateway trusts its keys by URL and expects `iss` = the front origin.
  token = () => world.issuer.token({ issuer: front.issuer });
});
afterAll(async () => {
  await world.close();
  await front.server.close();
});
beforeEach(() => {
  world.pdp.reset();
  world.permit(RORVANN);
  world.gateway.portvakt.clearDecisions();
});

describe('PEP credentials failing', () => {
  it.each([
    ['Maskinporten answers 500', { grant: 'error' }],
    ['Maskinporten answers garbage', { grant: 'garbage' }],
    ['Maskinporten hangs', { grant: 'hang' }],
    ['the exchange answers 500', { exchange: 'error' }],
    ['the exchange answers something that is not a JWT', { exchange: 'garbage' }],
    ['the exchange hangs', { exchange: 'hang' }],
  ] as Array<[string, Partial<Record<'grant' | 'exchange', Mode>>]>)(
    '%s → 503 pdp_unavailable, no PDP call, retried on the next request',
    async (_name, modes) => {
      // Start without a held token, so the request has to renew.
      front.state.grant = 'ok';
      front.state.exchange = 'ok';
      Object.assign(front.state, modes);
      const before = { grants: front.state.grants, pdp: world.pdp.calls.length };
      const res = await world.get(path, token()).timeout(BOUND_MS);
      expectProblem(res, 503, 'pdp_unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(world.pdp.calls.length).toBe(before.pdp);
      // The failed renewal was dropped: the next request tries again.
      expectProblem(await world.get(path, token()).timeout(BOUND_MS), 503, 'pdp_unavailable');
      expect(front.state.grants - before.grants).toBe(2);
      front.state.grant = 'ok';
      front.state.exchange = 'ok';
    },
  );

  it('recovers: sends the exchanged token to the PDP; a later failure once it expired is 503 again, then 200', async () => {
    front.state.life = 3;
    const res = await world.get(path, token()).timeout(BOUND_MS);
    expect(res.status).toBe(200);
    const sent = world.pdp.calls.at(-1)?.headers.authorization;
    expect(sent).toBe(`Bearer ${front.state.issued.at(-1)}`);
    // The held token is renewed ahead of time and dropped in its last quarter (after 2.25 s here).
    front.state.exchange = 'error';
    await new Promise((r) => setTimeout(r, 2400));
    world.gateway.portvakt.clearDecisions();
    expectProblem(await world.get(path, token()).timeout(BOUND_MS), 503, 'pdp_unavailable');
    front.state.exchange = 'ok';
    world.gateway.portvakt.clearDecisions();
    expect((await world.get(path, token()).timeout(BOUND_MS)).status).toBe(200);
    expect(world.pdp.calls.at(-1)?.headers.authorization).toBe(`Bearer ${front.state.issued.at(-1)}`);
    const logs = world.logs.lines.join('');
    for (const issued of front.state.issued) expect(logs).not.toContain(issued.split('.')[1]!);
    expect(logs).not.toContain('mp-token-');
    // Nor the PEP's private key, nor any line of it.
    expect(logs).not.toContain(pem.split('\n')[1]!);
  });
});
