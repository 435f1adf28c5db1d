import { describe, expect, it } from 'vitest';
import { API, BOUND_MS, expect4xxProblem, RORVANN, useGatewayWorld } from './world.js';

/**
 * Random and hostile tokens through the gateway: a seeded PRNG makes a few hundred byte strings,
 * base64url segments and JOSE-looking headers; signed tokens with deeply nested or huge claims pass
 * the signature and must still end in a 4xx. Every answer is checked against openapi.yaml.
 */
const world = useGatewayWorld();
const path = `${API}/${RORVANN}/aapnekrav`;

/** mulberry32: small, seeded, good enough to make fuzz cases reproducible. */
function prng(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { int, bytes, pick: <T>(xs: readonly T[]) => xs[int(xs.length)]! };
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Header-safe (HTTP field value) strings only: anything else a client cannot send, and raw-bytes cases live in headers.test.ts. */
function fuzzCases(seed: number, count: number): string[] {
  const r = prng(seed);
  const printable = () => String.fromCharCode(...Array.from({ length: 1 + r.int(200) }, () => 0x21 + r.int(94)));
  // Field-value bytes only (tab, 0x20-0x7e, 0x80-0xff): what an HTTP client can send at all.
  const latin1 = () =>
    String.fromCharCode(
      ...Array.from({ length: 1 + r.int(200) }, () => r.pick([0x09, 0x20 + r.int(95), 0x80 + r.int(128)])),
    ).replace(/\u007f/g, 'x');
  const kinds = [
    () => r.bytes(1 + r.int(600)).toString('base64url'),
    () => r.bytes(1 + r.int(600)).toString('base64'),
    printable,
    latin1,
    () =>
      `${r.bytes(r.int(80)).toString('base64url')}.${r.bytes(r.int(300)).toString('base64url')}.${r.bytes(r.int(256)).toString('base64url')}`,
    () =>
      `${b64({ alg: r.pick(['RS256', 'none', 'HS256', 'ES256', 'RS512', '', null, 1]), kid: r.pick(['k', '../../etc/passwd', '', null, {}, 'x'.repeat(500)]) })}.${r.bytes(r.int(300)).toString('base64url')}.${r.bytes(256).toString('base64url')}`,
    () =>
      `${b64(r.bytes(r.int(100)).toString('latin1'))}.${b64({ iss: 'x' })}.${r.bytes(r.int(300)).toString('base64url')}`,
    () => Array.from({ length: r.int(12) }, () => r.bytes(r.int(40)).toString('base64url')).join('.'),
    () => '.'.repeat(r.int(10)),
    () =>
      `${b64({ alg: 'RS256', kid: 'a', crit: r.pick([['exp'], [], 'exp', ['b64']]), b64: false })}.e30.${r.bytes(256).toString('base64url')}`,
  ];
  return Array.from({ length: count }, () => r.pick(kinds)());
}

describe('random tokens (seeded)', () => {
  it('300 random byte strings as Bearer tokens: each 401, none a 5xx, none a PDP call', async () => {
    const cases = fuzzCases(20_260_101, 300);
    const seen = new Map<string, number>();
    for (const [i, token] of cases.entries()) {
      const res = await world().get(path).set('Authorization', `Bearer ${token}`).timeout(BOUND_MS);
      expect4xxProblem(res, `case ${i}: ${JSON.stringify(token.slice(0, 60))}`);
      expect(res.status, `case ${i}`).toBe(401);
      // The refusal never echoes what it was sent.
      if (token.length >= 24) expect(res.text).not.toContain(token.slice(0, 24));
      seen.set(res.body.code, (seen.get(res.body.code) ?? 0) + 1);
    }
    expect([...seen.keys()].every((code) => code === 'token_invalid' || code === 'token_missing')).toBe(true);
    expect(world().pdp.calls).toHaveLength(0);
  });
});

/** `[[[…]]]` n deep, built without recursion. */
const nestedArrays = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
const nestedObjects = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

describe('signed tokens with hostile claims (they pass the signature)', () => {
  const systemUser = (changes: Record<string, unknown>) => ({
    type: 'urn:altinn:systemuser',
    systemuser_id: ['a3c8b8a2-6d0b-4b5e-8f9c-7a1f0e2d3c4b'],
    systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${RORVANN}` },
    system_id: '314330897_smartregnskap',
    ...changes,
  });

  it.each([
    [
      'authorization_details nested 3000 arrays deep',
      () => ({ authorizationDetails: nestedArrays(3000) }),
      'systemuser_missing',
    ],
    [
      'authorization_details nested 1500 objects deep',
      () => ({ authorizationDetails: [nestedObjects(1500)] }),
      'systemuser_missing',
    ],
    [
      'systemuser_org nested 1500 objects deep',
      () => ({ authorizationDetails: [systemUser({ systemuser_org: nestedObjects(1500) })] }),
      'systemuser_missing',
    ],
    [
      'systemuser_id a list of 700 non-uuids',
      () => ({ authorizationDetails: [systemUser({ systemuser_id: Array.from({ length: 700 }, (_, i) => `x${i}`) })] }),
      'systemuser_missing',
    ],
    [
      '200 authorization_details entries of another type',
      () => ({
        authorizationDetails: Array.from({ length: 200 }, (_, i) => ({ type: `urn:altinn:other:${i}`, x: i })),
      }),
      'systemuser_missing',
    ],
    [
      'an 11 KiB string as system_id',
      () => ({ authorizationDetails: [systemUser({ system_id: 'x'.repeat(11 * 1024) })] }),
      'systemuser_missing',
    ],
    ['scope nested 2000 arrays deep', () => ({ scope: nestedArrays(2000) }), 'insufficient_scope'],
    ['scope a 10 KiB string without the scope', () => ({ scope: 'a '.repeat(5 * 1024) }), 'insufficient_scope'],
    ['exp nested deep', () => ({ claims: { exp: nestedArrays(2000) } }), 'token_invalid'],
    ['iss an object', () => ({ claims: { iss: { toString: 'x' } } }), 'token_invalid'],
    [
      '__proto__ claims',
      () => ({ claims: JSON.parse('{"__proto__":{"scope":"skatteetaten:kravogbetalinger"}}') }),
      'ok',
    ],
  ] as Array<[string, () => Record<string, unknown>, string]>)('%s', async (_name, options, code) => {
    const token = world().issuer.token(options());
    expect(token.length).toBeLessThan(16 * 1024);
    const res = await world().get(path, token).timeout(BOUND_MS);
    if (code === 'ok') {
      expect(res.status).toBe(200);
      return;
    }
    expect4xxProblem(res, _name);
    expect(res.body.code).toBe(code);
  });

  it('a signed payload that is a JSON array, a string or a number is 401', async () => {
    for (const payload of ['[1,2,3]', '"a string"', '42', 'null']) {
      const header = b64({ alg: 'RS256', kid: world().issuer.kid, typ: 'JWT' });
      // Sign the odd payload with the real key through signPayload's sibling: splice it into a real token's shape.
      const real = world().issuer.signPayload({ iss: world().issuer.issuer });
      const forged = `${header}.${b64(payload)}.${real.split('.')[2]}`;
      const res = await world().get(path, forged).timeout(BOUND_MS);
      expect4xxProblem(res, payload);
      expect(res.status).toBe(401);
    }
  });
});
