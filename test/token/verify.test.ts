import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem, type LibraryWorld, RORVANN, startLibraryWorld } from '../helpers/library-world.js';

let world: LibraryWorld;
beforeAll(async () => {
  world = await startLibraryWorld();
});
afterAll(() => world.close());
beforeEach(() => world.issuer.reset());

const INVALID = 'Bearer error="invalid_token"';

describe('bearer extraction', () => {
  it('answers 401 token_missing with a bare Bearer challenge when there is no Authorization header', async () => {
    const res = await world.get(RORVANN);
    expectProblem(res, 401, 'token_missing');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc'])('treats scheme "%s" as no token', async (value) => {
    const res = await world.get(RORVANN).unset('Authorization').set('Authorization', value);
    expectProblem(res, 401, 'token_missing');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('accepts the scheme in any case', async () => {
    const res = await world.get(RORVANN).set('Authorization', `bEaReR ${world.issuer.token()}`);
    expect(res.status).toBe(200);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer    '])('answers "%s" with token_invalid', async (value) => {
    const res = await world.get(RORVANN).set('Authorization', value);
    expectProblem(res, 401, 'token_invalid');
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('never reads a token from the query string', async () => {
    const res = await world.get(RORVANN).query({ access_token: world.issuer.token() });
    expectProblem(res, 401, 'token_missing');
  });
});

describe('token validation refuses forged and broken tokens with 401 token_invalid', () => {
  const forged: Array<[string, () => string]> = [
    ['alg none', () => world.issuer.forge.algNone()],
    ['HS256 signed with the RSA public key', () => world.issuer.forge.hs256WithPublicKey()],
    ['header jwk', () => world.issuer.forge.keyInHeader('jwk')],
    ['header jku', () => world.issuer.forge.keyInHeader('jku')],
    ['header x5u', () => world.issuer.forge.keyInHeader('x5u')],
    ['header x5c', () => world.issuer.forge.keyInHeader('x5c')],
    ['unknown crit', () => world.issuer.forge.unknownCrit()],
    ['kid not in the JWKS', () => world.issuer.forge.unknownKid()],
    ['kid with path characters', () => world.issuer.forge.pathTraversalKid()],
    ['ES256 with an all-zero signature', () => world.issuer.forge.es256ZeroSignature()],
    ['stripped signature', () => world.issuer.forge.strippedSignature()],
    ['tampered signature', () => world.issuer.forge.tamperedSignature()],
    [
      'tampered payload',
      () => world.issuer.forge.tamperedPayload({}, { scope: 'skatteetaten:kravogbetalinger admin' }),
    ],
    ['header not JSON', () => world.issuer.forge.headerNotJson()],
    ['payload not JSON', () => world.issuer.forge.payloadNotJson()],
    ['signed by a foreign key', () => world.issuer.forge.foreignKey()],
    ['expired', () => world.issuer.forge.expired()],
    ['nbf 5 minutes ahead', () => world.issuer.token({ notBefore: Math.floor(Date.now() / 1000) + 300 })],
    ['iat 5 minutes ahead', () => world.issuer.token({ issuedAt: Math.floor(Date.now() / 1000) + 300 })],
    ['missing exp', () => world.issuer.token({ claims: { exp: undefined } })],
    ['exp not a number', () => world.issuer.token({ claims: { exp: 'tomorrow' } })],
    ['no kid', () => world.issuer.token({ header: { kid: undefined } })],
    ['wrong issuer', () => world.issuer.token({ issuer: 'https://evil.example/' })],
    ['issuer without its trailing slash', () => world.issuer.token({ issuer: world.issuer.issuer.replace(/\/$/, '') })],
    ['not a JWT at all', () => 'abc.def'],
    ['random bytes', () => Buffer.from('\u0000\u0001garbage').toString('base64url')],
    ['a JWE-like five-part token', () => 'a.b.c.d.e'],
  ];

  it.each(forged)('%s', async (_name, make) => {
    const before = world.pdp.calls.length;
    const res = await world.get(RORVANN, make());
    expectProblem(res, 401, 'token_invalid');
    expect(res.headers['www-authenticate']).toBe(INVALID);
    expect(world.pdp.calls.length).toBe(before);
  });

  it('refuses a 64 KiB token with a 4xx, never a 5xx', async () => {
    const huge = world.issuer.token({ claims: { padding: 'x'.repeat(64 * 1024) } });
    const res = await world.get(RORVANN, huge).ok(() => true);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('accepts a token within the 30 s clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await world.get(RORVANN, world.issuer.token({ issuedAt: now + 20, notBefore: now + 20 }));
    expect(res.status).toBe(200);
  });

  it('accepts a token that expired less than 30 s ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await world.get(RORVANN, world.issuer.token({ issuedAt: now - 140, expiresInSeconds: 120 }));
    expect(res.status).toBe(200);
  });
});

describe('audience', () => {
  let withAudience: LibraryWorld;
  beforeAll(async () => {
    withAudience = await startLibraryWorld({ audience: 'https://skatteetaten.no/kravogbetalinger' });
  });
  afterAll(() => withAudience.close());

  it('is required and must match when configured', async () => {
    const { issuer } = withAudience;
    expectProblem(await withAudience.get(RORVANN, issuer.token()), 401, 'token_invalid');
    expectProblem(await withAudience.get(RORVANN, issuer.token({ audience: 'https://other/' })), 401, 'token_invalid');
    expect(
      (await withAudience.get(RORVANN, issuer.token({ audience: 'https://skatteetaten.no/kravogbetalinger' }))).status,
    ).toBe(200);
    const inList = issuer.token({ audience: ['x', 'https://skatteetaten.no/kravogbetalinger'] });
    expect((await withAudience.get(RORVANN, inList)).status).toBe(200);
  });

  it('is not checked when not configured', async () => {
    expect((await world.get(RORVANN, world.issuer.token({ audience: 'https://anything/' }))).status).toBe(200);
  });
});
