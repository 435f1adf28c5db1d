import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { forbidUnhandledErrors } from './helpers.js';

/**
 * Maskinporten's keys failing, through the real gateway. Already covered elsewhere: JWKS 'down' at
 * start (test/gateway/gateway.test.ts, readiness); the library's cooldown, rotation and
 * reset/garbage modes (test/token/jwks.test.ts). Here: the other ways to fail at start, and the
 * gateway riding out an outage that begins after the keys were loaded.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
/** The library's fetch deadline for metadata and JWKS (options.jwksTimeoutMs default). */
const JWKS_TIMEOUT_MS = 5000;
const path = `${API}/${RORVANN}/aapnekrav`;

describe('issuer failing after the keys were loaded', () => {
  let world: GatewayWorld;
  beforeAll(async () => {
    world = await startGatewayWorld();
    world.permit(RORVANN);
  });
  afterAll(() => world.close());

  it('keeps known keys working and ready, bounds refetching, and answers an unknown kid 503 when the JWKS is slow or garbage', async () => {
    const fresh = (jti: string) => world.issuer.token({ claims: { jti } });
    expect((await world.get(path, world.issuer.token())).status).toBe(200);
    const before = world.issuer.jwksRequests;
    world.issuer.setJwksMode('down');
    // A token not seen before, signed by a known key: verified against the cached set.
    expect((await world.get(path, fresh('down-1'))).status).toBe(200);
    const flood = await Promise.all(
      Array.from({ length: 60 }, () => world.get(path, world.issuer.forge.unknownKid()).timeout(JWKS_TIMEOUT_MS)),
    );
    // Within the cooldown of the last good fetch the set is known to lack the kid (401); past it, with the
    // issuer down, the kid is unobtainable (503). Either way: one answer for all, and at most one fetch.
    const codes = new Set(flood.map((res) => res.body.code));
    expect(codes.size).toBe(1);
    expect(['token_invalid', 'jwks_unavailable']).toContain([...codes][0]);
    expect(world.issuer.jwksRequests - before).toBeLessThanOrEqual(1);
    expect((await world.get('/health/ready')).status).toBe(200);

    // Slower than the fetch deadline. Past the cooldown, so the unknown kid really makes the gateway ask.
    world.issuer.setJwksMode('slow', { delayMs: JWKS_TIMEOUT_MS + 2000 });
    await new Promise((r) => setTimeout(r, 5100));
    let asked = world.issuer.jwksRequests;
    expectProblem(
      await world.get(path, world.issuer.forge.unknownKid()).timeout(JWKS_TIMEOUT_MS + 1000),
      503,
      'jwks_unavailable',
    );
    expect(world.issuer.jwksRequests - asked).toBe(1);
    expect((await world.get(path, fresh('slow-1')).timeout(1000)).status).toBe(200);

    // Garbage (the slow fetch began more than a cooldown ago, so this one asks again at once).
    world.issuer.setJwksMode('garbage');
    asked = world.issuer.jwksRequests;
    expectProblem(await world.get(path, world.issuer.forge.unknownKid()), 503, 'jwks_unavailable');
    expect(world.issuer.jwksRequests - asked).toBe(1);
    expect((await world.get(path, fresh('garbage-1'))).status).toBe(200);
    expect((await world.get('/health/ready')).status).toBe(200);
    world.issuer.setJwksMode('ok');
  });
});
