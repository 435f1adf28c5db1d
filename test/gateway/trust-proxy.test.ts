import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/gateway/config.js';
import { type HostileUpstream, hostileUpstreamPaths, startHostileUpstream } from '../faults/hostile-upstream.js';
import { API } from '../helpers/gateway-world.js';
import { type ProxyWorld, startProxyWorld } from '../helpers/proxy-world.js';

/**
 * TRUST_PROXY: the gateway believes the client's X-Forwarded-* only from the hops it names, and then
 * tells the upstream the believed chain, in `Forwarded` (RFC 7239) and `X-Forwarded-*` alike.
 */
const RORVANN = '310478717';
const ekko = `${API}/${RORVANN}/ekko`;
const required = { MASKINPORTEN_ISSUER: 'https://test.maskinporten.no/', ALTINN_PDP_URL: 'https://pdp.example/' };

describe('TRUST_PROXY configuration', () => {
  it.each([
    [undefined, undefined],
    ['false', undefined],
    ['0', undefined],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7, fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
  ])('%s → %j', (value, expected) => {
    const env = value === undefined ? required : { ...required, TRUST_PROXY: value };
    expect(loadConfig(env).trustProxy).toEqual(expected);
  });

  it.each(['true', 'everyone', '10.0.0.0/33', '10.0.0.0/8/1', '300.1.1.1', '-1'])(
    '%s is refused with a line naming TRUST_PROXY',
    (value) => {
      expect(() => loadConfig({ ...required, TRUST_PROXY: value })).toThrow(/^TRUST_PROXY: /);
    },
  );

  it('upstream deadlines have defaults and must be positive integers', () => {
    expect(loadConfig(required).upstream).toEqual({
      headersTimeoutMs: 10_000,
      bodyIdleTimeoutMs: 10_000,
      totalTimeoutMs: 30_000,
      requestBodyIdleTimeoutMs: 10_000,
    });
    expect(() => loadConfig({ ...required, UPSTREAM_BODY_IDLE_TIMEOUT_MS: '0' })).toThrow(
      /^UPSTREAM_BODY_IDLE_TIMEOUT_MS: /,
    );
  });
});

describe('forwarding headers behind trusted proxies', () => {
  let upstream: HostileUpstream;
  let world: ProxyWorld;
  beforeAll(async () => {
    upstream = await startHostileUpstream();
    // The test client connects from 127.0.0.1: it plays the nearest proxy, 10.x the one before.
    world = await startProxyWorld(hostileUpstreamPaths(upstream.url), {
      upstream,
      env: { TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' },
    });
  });
  afterAll(() => world.close());
  beforeEach(() => world.reset([RORVANN]));

  it('believes the chain up to the first untrusted address, and nothing before it', async () => {
    await world
      .get(ekko, world.issuer.token())
      .set('X-Forwarded-For', '6.6.6.6, 203.0.113.9, 10.1.2.3')
      .set('X-Forwarded-Host', 'api.example.no')
      .set('X-Forwarded-Proto', 'https')
      .set('Forwarded', 'for=6.6.6.6')
      .set('X-Real-IP', '6.6.6.6')
      .expect(200);
    const { headers } = upstream.seen[0]!;
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 10.1.2.3, 127.0.0.1');
    expect(headers.forwarded).toBe('for=203.0.113.9;host="api.example.no";proto=https, for=10.1.2.3, for=127.0.0.1');
    expect(headers['x-forwarded-host']).toBe('api.example.no');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-real-ip']).toBeUndefined();
  });

  it('what a trusted hop says that is not an address, a host or http(s) never reaches the upstream as written', async () => {
    await world
      .get(ekko, world.issuer.token())
      .set('X-Forwarded-For', 'evil";by=x')
      .set('X-Forwarded-Host', 'evil.example"; for=1.2.3.4')
      .set('X-Forwarded-Proto', 'gopher')
      .expect(200);
    const { headers } = upstream.seen[0]!;
    expect(headers['x-forwarded-for']).toBe('unknown, 127.0.0.1');
    expect(headers.forwarded).toBe('for=unknown;proto=http, for=127.0.0.1');
    expect(headers['x-forwarded-host']).toBeUndefined();
    expect(headers['x-forwarded-proto']).toBe('http');
  });

  it('IPv6 addresses are bracketed and quoted in Forwarded', async () => {
    await world.get(ekko, world.issuer.token()).set('X-Forwarded-For', '2001:db8::7').expect(200);
    const { headers } = upstream.seen[0]!;
    expect(headers.forwarded).toMatch(/^for="\[2001:db8::7\]";host="127\.0\.0\.1:\d+";proto=http, for=127\.0\.0\.1$/);
    expect(headers['x-forwarded-for']).toBe('2001:db8::7, 127.0.0.1');
  });
});
