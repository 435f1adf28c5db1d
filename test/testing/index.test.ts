import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestIssuer,
  createTestPdp,
  type TestIssuer,
  type TestPdp,
  testConfig,
  testEnv,
} from '../../src/testing/index.js';

let issuer: TestIssuer;
let pdp: TestPdp;
let guarded: TestPdp;
beforeAll(async () => {
  [issuer, pdp, guarded] = await Promise.all([
    createTestIssuer(),
    createTestPdp(),
    createTestPdp({ subscriptionKey: 's' }),
  ]);
});
afterAll(() => Promise.all([issuer.close(), pdp.close(), guarded.close()]));

it('testConfig gives the createPortvakt options, leaving jwksUri to discovery', () => {
  expect(testConfig(issuer, pdp)).toEqual({ issuer: issuer.issuer, pdpUrl: pdp.url });
  expect(testConfig(issuer, guarded)).toEqual({ issuer: issuer.issuer, pdpUrl: guarded.url, subscriptionKey: 's' });
});

it('testEnv gives the environment of portvakt serve', () => {
  expect(testEnv(issuer, pdp)).toEqual({ MASKINPORTEN_ISSUER: issuer.issuer, ALTINN_PDP_URL: pdp.url });
  expect(testEnv(issuer, guarded)).toMatchObject({ ALTINN_SUBSCRIPTION_KEY: 's' });
});
