import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestIssuer, systemUserIdFor, type TestIssuer } from '../../src/testing/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());
afterEach(() => issuer.reset());

function verify(token: string, jwksUri = issuer.jwksUri) {
  // A fresh key set per call: the cache of one set would hide what the server publishes now.
  return jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), { issuer: issuer.issuer, algorithms: ['RS256'] });
}

describe('metadata and JWKS', () => {
  it('serves RFC 8414 metadata whose issuer is exactly the iss, with a trailing slash', async () => {
    expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(issuer.metadataUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('max-age');
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
    expect(metadata.token_endpoint).toBe(`${issuer.issuer}token`);
    expect(new URL('.well-known/oauth-authorization-server', issuer.issuer).href).toBe(issuer.metadataUrl);
    expect(issuer.metadataRequests).toBe(1);
  });

  it('serves the public keys only, with kid, alg and use', async () => {
    const res = await fetch(issuer.jwksUri);
    expect(res.headers.get('content-type')).toContain('application/json');
    const { keys } = (await res.json()) as { keys: unknown[] };
    expect(keys).toEqual([{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: issuer.kid, alg: 'RS256', use: 'sig' }]);
    expect(keys).toEqual(issuer.jwks.keys);
    expect(issuer.jwksRequests).toBe(1);
  });

  it('lets a test change the metadata, e.g. to a foreign issuer', async () => {
    issuer.setMetadata({ issuer: 'https://evil.example/', grant_types_supported: undefined });
    const metadata = (await (await fetch(issuer.metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe('https://evil.example/');
    expect(metadata).not.toHaveProperty('grant_types_supported');
  });
});

describe('token()', () => {
  it('mints a token shaped like Maskinporten system-user tokens that jose verifies', async () => {
    const token = issuer.token();
    const { payload, protectedHeader } = await verify(token);
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: issuer.issuer,
      scope: 'skatteetaten:kravogbetalinger',
      client_id: expect.stringMatching(UUID),
      client_amr: 'private_key_jwt',
      token_type: 'Bearer',
      iat: expect.any(Number),
      exp: (payload.iat ?? 0) + 120,
      jti: expect.stringMatching(UUID),
      consumer: { authority: 'iso6523-actorid-upis', ID: '0192:314330897' },
      authorization_details: [
        {
          type: 'urn:altinn:systemuser',
          systemuser_id: [systemUserIdFor('310478717')],
          systemuser_org: { authority: 'iso6523-actorid-upis', ID: '0192:310478717' },
          system_id: '314330897_smartregnskap',
        },
      ],
    });
    expect(issuer.token()).not.toBe(token);
  });

  it('derives a stable v4-shaped system user id per organization', () => {
    expect(systemUserIdFor('313367002')).toBe(systemUserIdFor('313367002'));
    expect(systemUserIdFor('313367002')).not.toBe(systemUserIdFor('310478717'));
    expect(systemUserIdFor('313367002')).toMatch(UUID);
  });

  it('takes options for every claim', async () => {
    const token = issuer.token({
      org: '313367002',
      systemUser: '0f0e0d0c-0b0a-4908-8706-050403020100',
      systemId: '999999999_other',
      scope: 'a b',
      consumerOrg: '999999999',
      clientId: 'client-1',
      audience: 'https://api.example/',
      expiresInSeconds: 60,
      notBefore: 1_000,
    });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({
      scope: 'a b',
      client_id: 'client-1',
      aud: 'https://api.example/',
      nbf: 1_000,
      consumer: { ID: '0192:999999999' },
      authorization_details: [
        {
          systemuser_id: ['0f0e0d0c-0b0a-4908-8706-050403020100'],
          systemuser_org: { ID: '0192:313367002' },
          system_id: '999999999_other',
        },
      ],
    });
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it('omits scope on null, deletes claims and header fields given undefined, replaces authorization_details', () => {
    const token = issuer.token({
      scope: null,
      claims: { exp: undefined, extra: 1 },
      header: { kid: undefined, typ: 'at+jwt' },
      authorizationDetails: [{ type: 'something-else' }],
    });
    const payload = decodeJwt(token);
    expect(payload).not.toHaveProperty('scope');
    expect(payload).not.toHaveProperty('exp');
    expect(payload.extra).toBe(1);
    expect(payload.authorization_details).toEqual([{ type: 'something-else' }]);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt' });
  });

  it('follows the (fake) clock and honours issuedAt and issuer overrides', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    try {
      const payload = decodeJwt(issuer.token());
      expect(payload.iat).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
    } finally {
      vi.useRealTimers();
    }
    const payload = decodeJwt(issuer.token({ issuedAt: 42, issuer: 'x' }));
    expect(payload).toMatchObject({ iat: 42, exp: 162, iss: 'x' });
  });

  it('signs arbitrary payloads with the current key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.signPayload({ iss: issuer.issuer, exp: now + 60, hello: 'world' }, { typ: undefined });
    const { payload, protectedHeader } = await verify(token);
    expect(payload.hello).toBe('world');
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: issuer.kid });
  });

  it('applies tokenDefaults under the per-call options', async () => {
    const other = await createTestIssuer({ tokenDefaults: { scope: 'nav:aareg', claims: { a: 1 } } });
    try {
      expect(decodeJwt(other.token())).toMatchObject({ scope: 'nav:aareg', a: 1 });
      expect(decodeJwt(other.token({ scope: 'x', claims: { b: 2 } }))).toMatchObject({ scope: 'x', a: 1, b: 2 });
    } finally {
      await other.close();
    }
  });
});

describe('key rotation', () => {
  it('signs with a new published key and keeps the old one by default', async () => {
    const before = issuer.token();
    const oldKid = issuer.kid;
    const newKid = issuer.rotateKeys();
    expect(newKid).not.toBe(oldKid);
    expect(issuer.kid).toBe(newKid);
    expect(decodeProtectedHeader(issuer.token()).kid).toBe(newKid);
    await expect(verify(issuer.token())).resolves.toBeDefined();
    await expect(verify(before)).resolves.toBeDefined();
  });

  it('drops the old keys with keepOld: false', async () => {
    const before = issuer.token();
    issuer.rotateKeys({ keepOld: false });
    expect(issuer.jwks.keys.map((k) => k.kid)).toEqual([issuer.kid]);
    await expect(verify(before)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});

describe('endpoint fault modes', () => {
  it("'down' answers 503 and still counts the request", async () => {
    issuer.setJwksMode('down');
    const res = await fetch(issuer.jwksUri);
    expect(res.status).toBe(503);
    expect(issuer.jwksRequests).toBe(1);
    await expect(verify(issuer.token())).rejects.toBeDefined();
  });

  it("'garbage' answers 200 with a body that is not JSON", async () => {
    issuer.setJwksMode('garbage');
    const res = await fetch(issuer.jwksUri);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it("'reset' drops the connection", async () => {
    issuer.setJwksMode('reset');
    await expect(fetch(issuer.jwksUri)).rejects.toThrow();
  });

  it("'slow' answers after delayMs", async () => {
    issuer.setJwksMode('slow', { delayMs: 150 });
    const started = Date.now();
    const res = await fetch(issuer.jwksUri);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("'hang' never answers", async () => {
    issuer.setJwksMode('hang');
    await expect(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('metadata has its own mode', async () => {
    issuer.setMetadataMode('down');
    expect((await fetch(issuer.metadataUrl)).status).toBe(503);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });

  it('reset() restores ok modes and zero counters', async () => {
    issuer.setJwksMode('down');
    await fetch(issuer.jwksUri);
    issuer.reset();
    expect(issuer.jwksRequests).toBe(0);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });

  it('close() ends hanging requests at once', async () => {
    const doomed = await createTestIssuer();
    doomed.setJwksMode('hang');
    const pending = fetch(doomed.jwksUri);
    await vi.waitFor(() => expect(doomed.jwksRequests).toBe(1));
    const started = Date.now();
    await doomed.close();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    await doomed.close(); // twice is fine
  });
});
