import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PdpMode } from '../../src/testing/index.js';
import { API, type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';
import { expectProblem } from '../helpers/library-world.js';
import { forbidUnhandledErrors } from './helpers.js';

/**
 * Altinn's PDP failing, through the real gateway (the library's own answers to each mode are in
 * test/pipeline/decisions.test.ts). Each fault: 503 pdp_unavailable with Retry-After within
 * PDP_TIMEOUT_MS + 1 s, never cached, and the next request after recovery asks the PDP again.
 */
forbidUnhandledErrors();

const RORVANN = '310478717';
const PDP_TIMEOUT_MS = 500;
/** The client gives up here: a PDP that hangs must not hold it longer. */
const BOUND_MS = PDP_TIMEOUT_MS + 1000;
const path = `${API}/${RORVANN}/aapnekrav`;

let world: GatewayWorld;
beforeAll(async () => {
  world = await startGatewayWorld({ env: { PDP_TIMEOUT_MS: String(PDP_TIMEOUT_MS) } });
});
afterAll(() => world.close());
beforeEach(() => {
  world.pdp.reset();
  world.permit(RORVANN);
  world.gateway.portvakt.clearDecisions();
});

const FAULTS: PdpMode[] = ['error', 'garbage', 'slow', 'hang', 'reset', 'indeterminate', 'empty', 'two-results'];

describe('PDP faults through the gateway', () => {
  it.each(FAULTS)('%s → 503 pdp_unavailable in time, not cached, recovered on the next request', async (mode) => {
    world.pdp.setMode(mode, { delayMs: PDP_TIMEOUT_MS + 1000 });
    const token = world.issuer.token();
    // Concurrent requests share the failing call; each still gets its 503 in time.
    const answers = await Promise.all(Array.from({ length: 5 }, () => world.get(path, token).timeout(BOUND_MS)));
    for (const res of answers) {
      expectProblem(res, 503, 'pdp_unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.text).not.toMatch(/ECONN|AbortError|at .*\.ts/);
    }
    // Still failing: asked again (the error was not cached), answered 503 again.
    const callsBefore = world.pdp.calls.length;
    expectProblem(await world.get(path, token).timeout(BOUND_MS), 503, 'pdp_unavailable');
    expect(world.pdp.calls.length).toBeGreaterThan(callsBefore);

    world.pdp.setMode('normal');
    const recovered = world.pdp.calls.length;
    expect((await world.get(path, token).timeout(BOUND_MS)).status).toBe(200);
    expect(world.pdp.calls.length).toBe(recovered + 1);
    expect((await world.get('/health/ready')).status).toBe(200);
  });

  it('a hanging PDP does not pile up: 40 distinct parties at once all get 503 in time, and the gateway stays responsive', {
    timeout: 60_000,
  }, async () => {
    // Its own gateway with a PDP deadline long enough that all 40 requests are surely waiting on the PDP
    // before the first call gives up, even on a busy machine: only then is "one call per question" exact.
    const pdpTimeoutMs = 5000;
    const hung = await startGatewayWorld({ env: { PDP_TIMEOUT_MS: String(pdpTimeoutMs) } });
    try {
      const parties = ['310478717', '313367002', '311851381', '314961900', '314055403', '314168267', '314330897'];
      hung.permit(RORVANN);
      hung.pdp.setMode('hang');
      const token = hung.issuer.token();
      const all = Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          hung.get(`${API}/${parties[i % parties.length]}/aapnekrav`, token).timeout(pdpTimeoutMs + 5000),
        ),
      );
      // The gateway answers while every distinct question hangs at the PDP.
      await vi.waitFor(() => expect(hung.pdp.calls.length).toBe(parties.length), { timeout: pdpTimeoutMs });
      expect((await hung.get('/health/live').timeout(pdpTimeoutMs)).status).toBe(200);
      for (const res of await all) expectProblem(res, 503, 'pdp_unavailable');
      // One call per distinct question (single flight), not one per request.
      expect(hung.pdp.calls.length).toBe(parties.length);
      hung.pdp.setMode('normal');
      expect((await hung.get(path, token).timeout(pdpTimeoutMs)).status).toBe(200);
    } finally {
      await hung.close();
    }
  });

  it('counts PDP errors in /metrics by outcome', async () => {
    world.pdp.setMode('error');
    await world.get(path, world.issuer.token()).expect(503);
    const text = (await world.get('/metrics')).text;
    expect(text).toMatch(/^portvakt_pdp_calls_total\{outcome="error"\} [1-9]/m);
  });
});
