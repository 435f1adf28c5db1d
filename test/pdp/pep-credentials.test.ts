import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPdpClient } from '../../src/pdp/client.js';
import { createPepCredentials, type PepCredentialsOptions } from '../../src/pdp/pep-credentials.js';
import { type LocalServer, readBody, send, sendJson, startLocalServer } from '../../src/testing/http.js';
import { createTestPdp } from '../../src/testing/pdp.js';
import { QUERY, rejection, within } from './helpers.js';

const CLIENT_ID = 'b9a3c2e1-portvakt-pep';
const KEY_ID = 'pep-key-1';
const MINUTE = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type ExchangeMode = 'plain' | 'quoted' | 'error' | 'hang' | 'not-a-jwt' | 'expired';

interface Grant {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  form: URLSearchParams;
  contentType: string | undefined;
}

/** Wall clock for the code under test and the fake servers alike. */
const time = {
  ms: Date.now(),
  now: () => time.ms,
  advance: (by: number) => {
    time.ms += by;
  },
};

/** A local Maskinporten (`POST /token`, verifying the assertion) and Altinn token exchange (`GET /exchange`). */
const fake = {
  server: undefined as unknown as LocalServer,
  pem: '',
  grants: [] as Grant[],
  exchanges: [] as { method: string; authorization: string | undefined }[],
  grantError: undefined as string | undefined,
  exchangeMode: 'plain' as ExchangeMode,
  /** Life of issued Altinn tokens in seconds. */
  life: 30 * 60,
  /** When set, the exchange answers this token. */
  fixedToken: undefined as string | undefined,
  get tokenEndpoint() {
    return `${this.server.origin}/token`;
  },
  get exchangeUrl() {
    return `${this.server.origin}/exchange`;
  },
  reset() {
    this.grants = [];
    this.exchanges = [];
    this.grantError = undefined;
    this.exchangeMode = 'plain';
    this.life = 30 * 60;
    this.fixedToken = undefined;
  },
};
const AUDIENCE = 'https://maskinporten.test/';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let signingKey: KeyLike;
let publicKey: KeyLike;

beforeAll(async () => {
  ({ privateKey: signingKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  fake.pem = await exportPKCS8(signingKey);
  fake.server = await startLocalServer(handle);
});
afterEach(() => fake.reset());
afterAll(() => fake.server.close());

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = (await readBody(req)).toString('utf8');
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'POST' && path === '/token') return grant(req, res, body);
  if (path === '/exchange') return exchange(req, res);
  sendJson(res, 404, {});
}

async function grant(req: IncomingMessage, res: ServerResponse, body: string) {
  const form = new URLSearchParams(body);
  if (fake.grantError) return sendJson(res, 400, { error: fake.grantError, error_description: 'secret-ish text' });
  const assertion = form.get('assertion') ?? '';
  try {
    // As Maskinporten: RS256 from the registered key, aud its issuer, iss the client, not expired.
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: ['RS256'],
      audience: AUDIENCE,
      issuer: CLIENT_ID,
      currentDate: new Date(time.now()),
    });
    fake.grants.push({
      header: decodeProtectedHeader(assertion) as Record<string, unknown>,
      claims: payload as Record<string, unknown>,
      form,
      contentType: req.headers['content-type'],
    });
  } catch {
    return sendJson(res, 400, { error: 'invalid_grant' });
  }
  sendJson(res, 200, { access_token: `mp-token-${fake.grants.length}`, token_type: 'Bearer', expires_in: 120 });
}

async function exchange(req: IncomingMessage, res: ServerResponse) {
  fake.exchanges.push({ method: req.method ?? '', authorization: req.headers.authorization });
  if (req.headers.authorization !== `Bearer mp-token-${fake.grants.length}`) return sendJson(res, 401, {});
  const mode = fake.exchangeMode;
  if (mode === 'hang') return;
  if (mode === 'error') return sendJson(res, 500, { title: 'boom' });
  if (mode === 'not-a-jwt') return send(res, 200, 'hello', { 'content-type': 'text/plain' });
  const token = fake.fixedToken ?? (await altinnToken(mode === 'expired' ? -10 : fake.life, fake.exchanges.length));
  if (mode === 'quoted') return sendJson(res, 200, token);
  send(res, 200, token, { 'content-type': 'text/plain; charset=utf-8' });
}

/** An Altinn-like JWT living `life` seconds from the test clock, numbered by `jti`. */
async function altinnToken(life: number, n: number): Promise<string> {
  const iat = Math.floor(time.now() / 1000);
  return new SignJWT({ 'urn:altinn:org': 'ske' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + life)
    .setJti(`altinn-${n}`)
    .sign(signingKey);
}

const jti = (token: string) => decodeJwt(token).jti;

function credentials(options: Partial<PepCredentialsOptions> = {}) {
  return createPepCredentials({
    tokenEndpoint: fake.tokenEndpoint,
    audience: AUDIENCE,
    exchangeUrl: fake.exchangeUrl,
    clientId: CLIENT_ID,
    keyId: KEY_ID,
    privateKey: fake.pem,
    timeoutMs: 5000,
    now: time.now,
    ...options,
  });
}

describe('createPepCredentials', () => {
  it('signs a correct JWT grant and exchanges the Maskinporten token at Altinn', async () => {
    const token = await credentials().token();
    expect(jti(token)).toBe('altinn-1');
    expect(fake.grants).toHaveLength(1);
    const [g] = fake.grants;
    expect(g?.contentType).toBe('application/x-www-form-urlencoded');
    expect(g?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(g?.header).toEqual({ alg: 'RS256', kid: KEY_ID });
    const iat = Math.floor(time.now() / 1000);
    expect(g?.claims).toEqual({
      aud: AUDIENCE,
      iss: CLIENT_ID,
      scope: 'altinn:authorization/authorize',
      iat,
      exp: iat + 60,
      jti: expect.stringMatching(UUID),
    });
    expect(fake.exchanges).toEqual([{ method: 'GET', authorization: 'Bearer mp-token-1' }]);
  });

  it('asks for another scope when told', async () => {
    await credentials({ scope: 'altinn:authorization/authorize altinn:other' }).token();
    expect(fake.grants[0]?.claims.scope).toBe('altinn:authorization/authorize altinn:other');
  });

  it('uses a fresh jti for every assertion', async () => {
    const pep = credentials();
    await pep.token();
    fake.exchangeMode = 'error';
    time.advance(29 * MINUTE + 45_000);
    await rejection(pep.token());
    expect(fake.grants[0]?.claims.jti).not.toBe(fake.grants[1]?.claims.jti);
  });

  it('grants and exchanges once for many calls', async () => {
    const pep = credentials();
    const tokens = [];
    for (let i = 0; i < 10; i++) tokens.push(await pep.token());
    time.advance(20 * MINUTE);
    tokens.push(await pep.token());
    expect(new Set(tokens).size).toBe(1);
    expect(fake.grants).toHaveLength(1);
    expect(fake.exchanges).toHaveLength(1);
  });

  it('shares one renewal among concurrent calls', async () => {
    const pep = credentials();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => pep.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.grants).toHaveLength(1);
    expect(fake.exchanges).toHaveLength(1);
  });

  it('accepts a JSON-quoted token', async () => {
    fake.exchangeMode = 'quoted';
    const token = await credentials().token();
    expect(token.startsWith('"')).toBe(false);
    expect(jti(token)).toBe('altinn-1');
  });

  it('renews ahead of time, five minutes before a 30-minute token expires, without making callers wait', async () => {
    const onRenewal = vi.fn();
    const pep = credentials({ onRenewal });
    const first = await pep.token();
    time.advance(25 * MINUTE - 1000);
    expect(await pep.token()).toBe(first);
    expect(fake.exchanges).toHaveLength(1);
    time.advance(2000);
    // Still the held token: the renewal runs in the background.
    expect(await pep.token()).toBe(first);
    await vi.waitFor(() => expect(onRenewal).toHaveBeenCalledTimes(2));
    expect(onRenewal).toHaveBeenLastCalledWith('ok');
    expect(jti(await pep.token())).toBe('altinn-2');
    expect(fake.grants).toHaveLength(2);
  });

  it('renews a short-lived token at half-life', async () => {
    fake.life = 120;
    const pep = credentials();
    const first = await pep.token();
    time.advance(59_000);
    expect(await pep.token()).toBe(first);
    expect(fake.exchanges).toHaveLength(1);
    time.advance(2000);
    await pep.token();
    await vi.waitFor(() => expect(fake.exchanges).toHaveLength(2));
  });

  it('makes callers wait for a new token once the held one is about to expire', async () => {
    const pep = credentials();
    await pep.token();
    time.advance(29 * MINUTE + 31_000);
    expect(jti(await pep.token())).toBe('altinn-2');
  });

  it('fails with pdp_unavailable and retries on the next call', async () => {
    fake.exchangeMode = 'error';
    const pep = credentials();
    const err = await rejection(pep.token());
    expect(err.code).toBe('pdp_unavailable');
    fake.exchangeMode = 'plain';
    expect(jti(await pep.token())).toBe('altinn-2');
    expect(fake.grants).toHaveLength(2);
  });

  it('keeps the held token when a renewal ahead of time fails, and retries after a pause', async () => {
    const onRenewal = vi.fn();
    const pep = credentials({ onRenewal });
    const first = await pep.token();
    fake.exchangeMode = 'error';
    time.advance(26 * MINUTE);
    expect(await pep.token()).toBe(first);
    await vi.waitFor(() =>
      expect(onRenewal).toHaveBeenLastCalledWith('error', expect.objectContaining({ code: 'pdp_unavailable' })),
    );
    expect(await pep.token()).toBe(first);
    expect(fake.exchanges).toHaveLength(2);
    fake.exchangeMode = 'plain';
    time.advance(5001);
    expect(await pep.token()).toBe(first);
    await vi.waitFor(() => expect(onRenewal).toHaveBeenLastCalledWith('ok'));
    expect(jti(await pep.token())).toBe('altinn-3');
  });

  it.each([
    ['an exchange that never answers', { exchangeMode: 'hang', timeoutMs: 300 }],
    ['an answer that is not a JWT', { exchangeMode: 'not-a-jwt' }],
    ['an already expired token', { exchangeMode: 'expired' }],
    ['a refused grant', { grantError: 'invalid_client' }],
  ] as const)('fails with pdp_unavailable on %s', async (_name, arrange) => {
    const { timeoutMs, ...state } = { timeoutMs: undefined, ...arrange };
    Object.assign(fake, state);
    const err = await within(2000, rejection(credentials(timeoutMs ? { timeoutMs } : {}).token()));
    expect(err.code).toBe('pdp_unavailable');
  });

  it('says why a grant was refused, and nothing more', async () => {
    fake.grantError = 'invalid_client';
    const err = await rejection(credentials().token());
    expect(err.detail).toContain('invalid_client');
    expect(err.detail).not.toContain('secret-ish');
  });

  it('fails with pdp_unavailable when Maskinporten cannot be reached', async () => {
    const gone = await startLocalServer(() => undefined);
    await gone.close();
    const err = await rejection(credentials({ tokenEndpoint: `${gone.origin}/token` }).token());
    expect(err.code).toBe('pdp_unavailable');
  });

  it.each([
    ['a PEM that is not a key', { privateKey: 'not a key' }],
    ['an EC key', { privateKey: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) }],
    ['a 1024-bit RSA key', { privateKey: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) }],
    ['a token endpoint that is not a URL', { tokenEndpoint: 'nope' }],
  ])('refuses %s at construction', (_name, bad) => {
    expect(() => credentials(bad)).toThrow(TypeError);
  });

  it('accepts a PKCS#1 PEM', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(() => credentials({ privateKey: pkcs1 })).not.toThrow();
  });
});

describe('with the PDP client and a test PDP', () => {
  it('authorizes its PDP calls with the exchanged token', async () => {
    const token = await altinnToken(30 * 60, 99);
    fake.fixedToken = token;
    const pdp = await createTestPdp({ bearerToken: token });
    try {
      const pep = credentials();
      const decide = createPdpClient({ url: pdp.url, timeoutMs: 5000, accessToken: () => pep.token() });
      pdp.permit(QUERY.systemUserId, QUERY.resource, QUERY.party);
      await expect(decide(QUERY)).resolves.toEqual({ permit: true });
      await expect(decide(QUERY)).resolves.toEqual({ permit: true });
      expect(pdp.calls.map((c) => c.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
      expect(fake.exchanges).toHaveLength(1);
    } finally {
      await pdp.close();
    }
  });

  it('turns a failed exchange into pdp_unavailable without calling the PDP', async () => {
    fake.exchangeMode = 'error';
    const pdp = await createTestPdp();
    try {
      const pep = credentials();
      const decide = createPdpClient({ url: pdp.url, timeoutMs: 5000, accessToken: () => pep.token() });
      expect((await rejection(decide(QUERY))).code).toBe('pdp_unavailable');
      expect(pdp.calls).toHaveLength(0);
    } finally {
      await pdp.close();
    }
  });
});

function pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
