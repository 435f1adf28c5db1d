import { describe, expect, it } from 'vitest';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { eventually, forbidUnhandledErrors } from './helpers.js';

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
/**
 * The gateway retries loading the keys with backoff capped at 30 s, so "ready once it returns" may take
 * up to that long after the issuer recovers; a quiet machine sees it within a few seconds.
 */
const RECOVERY_MS = 40_000;
const RECOVERY_TEST_TIMEOUT_MS = JWKS_TIMEOUT_MS + RECOVERY_MS + 15_000;
const path = `${API}/${RORVANN}/aapnekrav`;

describe('issuer unreachable at start', () => {
  it.each([
    ['the JWKS answers garbage', (w: GatewayWorld) => w.issuer.setJwksMode('garbage')],
    ['the JWKS resets the connection', (w: GatewayWorld) => w.issuer.setJwksMode('reset')],
    ['the metadata (discovery) is down', (w: GatewayWorld) => w.issuer.setMetadataMode('down')],
    ['the metadata names another issuer', (w: GatewayWorld) => w.issuer.setMetadata({ issuer: 'https://evil/' })],
  ])(
    '%s: not ready, 503 jwks_unavailable, no crash, ready once it returns',
    async (_name, breakIt) => {
      let world: GatewayWorld | undefined;
      world = await startGatewayWorld({ beforeStart: (kit) => breakIt({ ...kit } as GatewayWorld) });
      try {
        expect((await world.get('/health/ready')).status).toBe(503);
        expect((await world.get('/health/live')).status).toBe(200);
        const res = await world.get(path, world.issuer.token()).timeout(JWKS_TIMEOUT_MS + 1000);
        expectProblem(res, 503, 'jwks_unavailable');
        expect(res.headers['retry-after']).toBe('5');
        world.issuer.reset();
        world.permit(RORVANN);
        expect(await eventually(() => world!.get('/health/ready'), 200, RECOVERY_MS)).toBe(200);
        expect((await world.get(path, world.issuer.token())).status).toBe(200);
      } finally {
        await world.close();
        world = undefined;
      }
    },
    RECOVERY_TEST_TIMEOUT_MS,
  );

  it('a JWKS that hangs past the fetch deadline: requests get 503 within the deadline, then it recovers', {
    timeout: RECOVERY_TEST_TIMEOUT_MS,
  }, async () => {
    const world = await startGatewayWorld({ beforeStart: ({ issuer }) => issuer.setJwksMode('hang') });
    try {
      const res = await world.get(path, world.issuer.token()).timeout(JWKS_TIMEOUT_MS + 1000);
      expectProblem(res, 503, 'jwks_unavailable');
      expect((await world.get('/health/ready').timeout(1000)).status).toBe(503);
      world.issuer.reset();
      world.permit(RORVANN);
      expect(await eventually(() => world.get('/health/ready'), 200, RECOVERY_MS)).toBe(200);
    } finally {
      await world.close();
    }
  });
});
