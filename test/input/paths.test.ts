import { describe, expect, it } from 'vitest';
import { API, BOUND_MS, expect4xxProblem, RORVANN, sendRaw, useGatewayWorld } from './world.js';

/**
 * Path traversal and odd encodings of the party number, sent as exact bytes (a client would normalize
 * `..`). Every one a 4xx problem+json, checked against openapi.yaml, with no PDP call.
 */
const world = useGatewayWorld();

const PARTIES = [
  '..%2f..%2fpackage.json',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '.%2e',
  '%c0%ae%c0%ae', // overlong UTF-8 for '.'
  '%c0%af', // overlong UTF-8 for '/'
  '%e0%80%ae',
  '310478717%00',
  '%00310478717',
  '%252e%252e', // double-encoded '..'
  '310478717%252f',
  '%33%31%30%34%37%38%37%31%37', // the right digits, percent-encoded: decoded, and then fine? see below
  '310478717%2f..',
  '%',
  '%zz',
  '%ff%fe',
  '%ef%bc%93%ef%bc%91%ef%bc%90478717', // fullwidth digits
  '310478717%0d%0aX-Injected:%20yes',
  '3104787170000000000000000000000000000000',
  `${'9'.repeat(4000)}`,
  '-310478717',
  '0x12806dad',
  '3.10478717e8',
  '310478717;jsessionid=1',
  '310%20478%20717',
  '310478717%09',
];

describe('party in the path', () => {
  it.each(PARTIES)('%s', async (party) => {
    const token = world().issuer.token();
    const before = world().pdp.calls.length;
    for (const suffix of ['aapnekrav', 'krav?fraOgMed=2026-01-01&tilOgMed=2026-06-30']) {
      const res = await sendRaw(world(), 'GET', `${API}/${party}/${suffix}`, [`Authorization: Bearer ${token}`]);
      if (party.startsWith('%33%31')) {
        // Percent-encoding of plain digits is the same path (RFC 3986 §6.2.2.2): served as the party itself.
        expect(res.status).toBe(200);
        continue;
      }
      expect(res.byGateway).toBe(true);
      expect4xxProblem(res, party);
    }
    if (!party.startsWith('%33%31')) expect(world().pdp.calls.length).toBe(before);
  });

  it.each([
    `${API}/${RORVANN}/aapnekrav/..%2f..%2f`,
    `${API}/${RORVANN}/..%2faapnekrav`,
    `${API}/${RORVANN}%2faapnekrav`,
    `${API}/..%2f${RORVANN}/aapnekrav`,
    `${API.replace('/v1', '/v1%2f..%2fv1')}/${RORVANN}/aapnekrav`,
    `/api/innkreving/kravogbetalinger/v1/${RORVANN}/AAPNEKRAV`,
    `//api/innkreving/kravogbetalinger/v1/${RORVANN}/aapnekrav`,
    '/docs/..%2f..%2fpackage.json',
    '/docs/%2e%2e/%2e%2e/package.json',
    '/openapi.yaml%00.json',
    '/health/ready%2f..%2f..%2fmetrics',
    '/%2e%2e/%2e%2e/etc/passwd',
  ])('route-level traversal %s', async (target) => {
    const res = await sendRaw(world(), 'GET', target, [`Authorization: Bearer ${world().issuer.token()}`]);
    expect(res.byGateway).toBe(true);
    expect4xxProblem(res, target);
  });

  it('an absolute-form request target does not reach another host', async () => {
    const res = await sendRaw(world(), 'GET', `http://evil.example${API}/${RORVANN}/aapnekrav`, []);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('still answers afterwards', async () => {
    const res = await world().get(`${API}/${RORVANN}/aapnekrav`, world().issuer.token()).timeout(BOUND_MS);
    expect(res.status).toBe(200);
  });
});
