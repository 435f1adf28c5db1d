import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

const verify = (token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: issuer.issuer, algorithms: ['RS256'] });

/** True when the RS256 signature is the issuer's current key over `header.payload`. */
function signedByIssuer(token: string): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const jwk = issuer.jwks.keys.find((k) => k.kid === issuer.kid)!;
  const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  return verifySignature('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
}

const now = () => Math.floor(Date.now() / 1000);

describe('forged tokens a stock verifier already refuses', () => {
  const cases: [string, () => string][] = [
    ['expired', () => issuer.forge.expired()],
    ['notYetValid', () => issuer.forge.notYetValid()],
    ['algNone', () => issuer.forge.algNone()],
    ['hs256WithPublicKey', () => issuer.forge.hs256WithPublicKey()],
    ['unknownCrit', () => issuer.forge.unknownCrit()],
    ['unknownKid', () => issuer.forge.unknownKid()],
    ['pathTraversalKid', () => issuer.forge.pathTraversalKid()],
    ['es256ZeroSignature', () => issuer.forge.es256ZeroSignature()],
    ['strippedSignature', () => issuer.forge.strippedSignature()],
    ['tamperedSignature', () => issuer.forge.tamperedSignature()],
    ['tamperedPayload', () => issuer.forge.tamperedPayload()],
    ['headerNotJson', () => issuer.forge.headerNotJson()],
    ['payloadNotJson', () => issuer.forge.payloadNotJson()],
    ['foreignKey', () => issuer.forge.foreignKey()],
  ];
  it.each(cases)('%s fails jwtVerify', async (_name, make) => {
    await expect(verify(make())).rejects.toBeDefined();
  });

  it('a genuine token passes the same check', async () => {
    await expect(verify(issuer.token())).resolves.toBeDefined();
  });
});

describe('each forgery has exactly its one defect', () => {
  it('expired / notYetValid / issuedInFuture move only the times, by five minutes', () => {
    expect(decodeJwt(issuer.forge.expired()).exp).toBeLessThanOrEqual(now() - 300);
    expect(decodeJwt(issuer.forge.notYetValid()).nbf).toBeGreaterThanOrEqual(now() + 299);
    const future = issuer.forge.issuedInFuture();
    expect(decodeJwt(future).iat).toBeGreaterThanOrEqual(now() + 299);
    expect(signedByIssuer(future)).toBe(true);
  });

  it('algNone and strippedSignature end with an empty signature', () => {
    expect(issuer.forge.algNone()).toMatch(/^[\w-]+\.[\w-]+\.$/);
    expect(decodeProtectedHeader(issuer.forge.algNone()).alg).toBe('none');
    expect(issuer.forge.strippedSignature()).toMatch(/^[\w-]+\.[\w-]+\.$/);
  });

  it('es256ZeroSignature carries 64 zero bytes', () => {
    const token = issuer.forge.es256ZeroSignature();
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toEqual(Buffer.alloc(64));
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c'] as const)('keyInHeader(%s) is validly signed but names a key', async (param) => {
    const token = issuer.forge.keyInHeader(param);
    expect(decodeProtectedHeader(token)).toHaveProperty(param);
    expect(signedByIssuer(token)).toBe(true);
  });

  it('unknown and path kids are validly signed, with a kid the JWKS lacks', () => {
    for (const token of [issuer.forge.unknownKid(), issuer.forge.pathTraversalKid()]) {
      expect(signedByIssuer(token)).toBe(true);
      expect(issuer.jwks.keys.map((k) => k.kid)).not.toContain(decodeProtectedHeader(token).kid);
    }
    expect(decodeProtectedHeader(issuer.forge.pathTraversalKid()).kid).toBe('../../etc/passwd');
  });

  it('unknownCrit names a parameter it carries', () => {
    const header = decodeProtectedHeader(issuer.forge.unknownCrit());
    expect(header.crit).toEqual(['urn:portvakt:test:unknown']);
    expect(header).toHaveProperty(['urn:portvakt:test:unknown'], true);
  });

  it('headerNotJson / payloadNotJson are correctly signed over the broken segment', () => {
    for (const token of [issuer.forge.headerNotJson(), issuer.forge.payloadNotJson()]) {
      expect(signedByIssuer(token)).toBe(true);
    }
    expect(() => decodeProtectedHeader(issuer.forge.headerNotJson())).toThrow();
    expect(() => decodeJwt(issuer.forge.payloadNotJson())).toThrow();
  });

  it('tamperedPayload applies the given changes (default: an hour more life)', () => {
    const token = issuer.forge.tamperedPayload();
    const { iat, exp } = decodeJwt(token);
    expect(exp! - iat!).toBe(120 + 3600);
    expect(signedByIssuer(token)).toBe(false);
    expect(decodeJwt(issuer.forge.tamperedPayload({}, { scope: 'admin' })).scope).toBe('admin');
  });

  it('tamperedSignature and foreignKey keep the published kid', () => {
    for (const token of [issuer.forge.tamperedSignature(), issuer.forge.foreignKey()]) {
      expect(decodeProtectedHeader(token).kid).toBe(issuer.kid);
      expect(signedByIssuer(token)).toBe(false);
    }
  });

  it('forgeries take token options', () => {
    expect(decodeJwt(issuer.forge.expired({ org: '313367002' })).authorization_details).toMatchObject([
      { systemuser_org: { ID: '0192:313367002' } },
    ]);
  });
});
