/**
 * Cases ported from jose's own tests and the JOSE RFCs, on the points where a hand-written verifier tends to
 * deviate: the text of header and payload (RFC 7515 §5.2, RFC 7519 §7.2, RFC 8725 §3.7), key size
 * (RFC 7518 §3.3), key selection by `use`, `key_ops` and `alg` (RFC 7517 §4.2-4.4), and `crit`/`b64`
 * (RFC 7515 §4.1.11, RFC 7797). Every token here is signed with a key the JWKS publishes, so the one
 * defect is what gets it refused.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortvakt } from '../../src/index.js';
import { createTestPdp, systemUserIdFor, type TestPdp } from '../../src/testing/index.js';
import { buildPayload } from '../../src/testing/token.js';
import { expectProblem, KRAV, RORVANN } from '../helpers/library-world.js';

const ISSUER = 'https://issuer.test/';

interface Key {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function rsaKey(kid: string, bits = 2048, extra: Record<string, unknown> = {}): Key {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, ...extra } };
}

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/** A compact JWS over the exact header and payload bytes given, RS256 with `key`. */
function signRaw(key: Key, header: Buffer | string, payload: Buffer | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

const claims = () => JSON.stringify(buildPayload(ISSUER));
const headerFor = (key: Key, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...extra });

const good = rsaKey('good');
const short = rsaKey('short-1024', 1024);
const signOnly = rsaKey('key-ops-sign', 2048, { key_ops: ['sign'] });
const verifyOps = rsaKey('key-ops-verify', 2048, { key_ops: ['verify'] });
const encryption = rsaKey('use-enc', 2048, { use: 'enc' });
const otherAlg = rsaKey('alg-rs512', 2048, { alg: 'RS512' });
// Two entries under one kid: one for encryption, one for signatures. Only the second may verify.
const twin = rsaKey('twin', 2048, { use: 'sig' });
const twinEnc = { ...rsaKey('twin', 2048, { use: 'enc' }) };

let jwksServer: Server;
let pdp: TestPdp;
let app: express.Express;

beforeAll(async () => {
  const keys = [good, short, signOnly, verifyOps, encryption, otherAlg, twinEnc, twin].map((k) => k.jwk);
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  pdp = await createTestPdp();
  pdp.permit(systemUserIdFor(RORVANN), KRAV.resource, RORVANN);
  const portvakt = createPortvakt({
    issuer: ISSUER,
    jwksUri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`,
    pdpUrl: pdp.url,
  });
  app = express();
  app.get('/v1/:party/things', portvakt.authorize(KRAV), (req, res) => res.json({ party: req.portvakt?.party }));
  app.use(portvakt.errorHandler());
});

afterAll(async () => {
  jwksServer.closeAllConnections();
  await new Promise((resolve) => jwksServer.close(resolve));
  await pdp.close();
});

const call = (token: string) => request(app).get(`/v1/${RORVANN}/things`).set('Authorization', `Bearer ${token}`);

describe('a correctly signed token is accepted only when jose would accept it', () => {
  it('accepts the well-formed token (the baseline)', async () => {
    expect((await call(signRaw(good, headerFor(good), claims()))).status).toBe(200);
  });

  it('accepts a key whose key_ops allow verify, and the signing entry of a kid shared with an encryption key', async () => {
    expect((await call(signRaw(verifyOps, headerFor(verifyOps), claims()))).status).toBe(200);
    expect((await call(signRaw(twin, headerFor(twin), claims()))).status).toBe(200);
  });

  const refused: Array<[string, () => string]> = [
    // RFC 7515 §5.2 / RFC 7519 §7.2: the decoded header and payload must be UTF-8 (jose decodes with fatal: true).
    [
      'a header with invalid UTF-8 inside a string',
      () =>
        signRaw(
          good,
          Buffer.concat([
            Buffer.from(headerFor(good).slice(0, -1)),
            Buffer.from(',"x":"'),
            Buffer.from([0xff]),
            Buffer.from('"}'),
          ]),
          claims(),
        ),
    ],
    [
      'a payload with invalid UTF-8 inside a string',
      () =>
        signRaw(
          good,
          headerFor(good),
          Buffer.concat([
            Buffer.from(claims().slice(0, -1)),
            Buffer.from(',"x":"'),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('"}'),
          ]),
        ),
    ],
    ['a payload that is a JSON array', () => signRaw(good, headerFor(good), '[1,2]')],
    ['a header that is a JSON string', () => signRaw(good, '"RS256"', claims())],
    // RFC 7518 §3.3: RSA keys of at least 2048 bits.
    ['a signature by a 1024-bit RSA key the JWKS publishes', () => signRaw(short, headerFor(short), claims())],
    // RFC 7517 §4.2-4.4: a key is for signatures only when its use, key_ops and alg say so.
    ['a key whose key_ops do not include verify', () => signRaw(signOnly, headerFor(signOnly), claims())],
    ['a key published for encryption (use: enc)', () => signRaw(encryption, headerFor(encryption), claims())],
    ['a key published for RS512', () => signRaw(otherAlg, headerFor(otherAlg), claims())],
    ['the encryption entry of a shared kid', () => signRaw(twinEnc, headerFor(twinEnc), claims())],
    // RFC 7515 §4.1.11 and RFC 7797: crit must be a non-empty list of understood, present parameters.
    ['crit naming an unknown parameter', () => signRaw(good, headerFor(good, { crit: ['exp'], exp: 1 }), claims())],
    ['an empty crit', () => signRaw(good, headerFor(good, { crit: [] }), claims())],
    ['crit naming a parameter that is absent', () => signRaw(good, headerFor(good, { crit: ['b64'] }), claims())],
    [
      'an unencoded payload (b64: false)',
      () => signRaw(good, headerFor(good, { crit: ['b64'], b64: false }), claims()),
    ],
    ['crit that is not a list', () => signRaw(good, headerFor(good, { crit: 'b64', b64: true }), claims())],
  ];

  it.each(refused)('refuses %s with 401 token_invalid', async (_name, make) => {
    const before = pdp.calls.length;
    const res = await call(make());
    expectProblem(res, 401, 'token_invalid');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(pdp.calls.length).toBe(before);
  });
});
