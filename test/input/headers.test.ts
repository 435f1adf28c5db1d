import { describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/library-world.js';
import { API, BOUND_MS, expect4xxProblem, RORVANN, sendRaw, useGatewayWorld } from './world.js';

/** Odd Authorization headers: every one a 4xx problem+json (or Node's own parser refusal), never a 5xx or a hang. */
const world = useGatewayWorld();
const path = `${API}/${RORVANN}/aapnekrav`;

describe('Authorization header fuzzing', () => {
  it.each([
    ['tab between scheme and token', (t: string) => `Bearer\t${t}`, 'ok'],
    ['Bearer twice', (t: string) => `Bearer Bearer ${t}`, 'token_invalid'],
    ['two tokens separated by a comma', (t: string) => `Bearer ${t}, Bearer ${t}`, 'token_invalid'],
    ['a comma-joined second scheme', (t: string) => `Bearer ${t},Basic abc`, 'token_invalid'],
    ['token then garbage', (t: string) => `Bearer ${t} extra`, 'token_invalid'],
    ['token with a trailing quote', (t: string) => `Bearer "${t}"`, 'token_invalid'],
    [
      'non-ASCII (latin-1) in the token',
      (t: string) => `Bearer ${t.slice(0, 20)}\u00e6\u00f8\u00e5${t.slice(20)}`,
      'token_invalid',
    ],
    ['non-ASCII scheme', (t: string) => `B\u00e9arer ${t}`, 'token_missing'],
    ['only whitespace after Bearer', () => 'Bearer \t \t', 'token_invalid'],
    ['scheme only, lower case', () => 'bearer', 'token_invalid'],
    ['a 15 KiB token', () => `Bearer ${'a'.repeat(15 * 1024)}`, 'token_invalid'],
    ['percent-encoded token', (t: string) => `Bearer ${encodeURIComponent(`${t}"`)}`, 'token_invalid'],
    ['base64 with padding inside', (t: string) => `Bearer ${t.replace('.', '=.')}`, 'token_invalid'],
    ['empty header', () => '', 'token_missing'],
  ])('%s', async (_name, make, code) => {
    const res = await world().get(path).set('Authorization', make(world().issuer.token())).timeout(BOUND_MS);
    if (code === 'ok') {
      expect(res.status).toBe(200);
      return;
    }
    expect4xxProblem(res, _name);
    expect(res.body.code).toBe(code);
  });

  it('a duplicated Authorization header is refused, whichever copy is valid', async () => {
    const token = world().issuer.token();
    for (const pair of [
      [`Bearer ${token}`, 'Bearer junk'],
      ['Bearer junk', `Bearer ${token}`],
      [`Bearer ${token}`, `Bearer ${token}`],
    ]) {
      const res = await sendRaw(
        world(),
        'GET',
        path,
        pair.map((v) => `Authorization: ${v}`),
      );
      expect(res.byGateway).toBe(true);
      expect4xxProblem(res, pair.join(' | ').slice(0, 40));
    }
  });

  it.each([
    ['NUL in the value', 'Bearer abc\u0000def'],
    ['a bare CR in the value', 'Bearer abc\rdef'],
    ['DEL and control bytes', 'Bearer \u0001\u0002\u007f'],
    ['a header over 16 KiB', `Bearer ${'a'.repeat(17 * 1024)}`],
    ['obsolete line folding', 'Bearer abc\r\n def'],
  ])('raw bytes Node refuses or the gateway refuses: %s', async (_name, value) => {
    const res = await sendRaw(world(), 'GET', path, [`Authorization: ${value}`]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    if (res.byGateway) expect4xxProblem(res, _name);
  });

  it('raw UTF-8 bytes in the header reach the gateway as latin-1 and are refused', async () => {
    const res = await sendRaw(world(), 'GET', path, [
      Buffer.from(`Authorization: Bearer ${'\u00f8'.repeat(3)}.ab.cd`, 'utf8').toString('latin1'),
    ]);
    expect(res.byGateway).toBe(true);
    expectProblem(
      { status: res.status, body: res.body, headers: { 'content-type': res.headers['content-type'] } } as never,
      401,
      'token_invalid',
    );
  });

  it('many headers, and an X-Request-Id full of junk, change nothing', async () => {
    const req = world().get(path, world().issuer.token()).set('X-Request-Id', '../../etc/passwd\u00e6');
    for (let i = 0; i < 90; i++) req.set(`X-Junk-${i}`, 'x'.repeat(50));
    const res = await req.timeout(BOUND_MS);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the gateway after all that', () => {
  it('still answers', async () => {
    expect((await world().get('/health/ready')).status).toBe(200);
  });
});
