/**
 * `portvakt/testing`: an in-process Maskinporten and Altinn PDP on loopback, for service owners'
 * tests and Portvakt's own.
 */
import type { TestIssuer } from './issuer.js';
import type { TestPdp } from './pdp.js';

export type { HeaderKeyParameter, TokenForge } from './forge.js';
export {
  createTestIssuer,
  type EndpointMode,
  type EndpointModeOptions,
  type RotateKeysOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './issuer.js';
export { type PublicJwk, systemUserIdFor } from './jws.js';
export {
  createTestPdp,
  type DefaultDecision,
  PDP_PATH,
  type PdpCall,
  type PdpMode,
  type PdpModeOptions,
  type PermitOptions,
  type TestPdp,
  type TestPdpOptions,
} from './pdp.js';
export {
  DEFAULT_CONSUMER_ORG,
  DEFAULT_EXPIRES_IN_SECONDS,
  DEFAULT_ORG,
  DEFAULT_SCOPE,
  DEFAULT_SYSTEM_ID,
  type TokenOptions,
} from './token.js';
export {
  type Casing,
  MINIMUM_AUTHENTICATION_LEVEL,
  MINIMUM_AUTHENTICATION_LEVEL_ORG,
  minimumAuthenticationLevel,
  type XacmlAttributeAssignment,
  type XacmlObligation,
} from './xacml.js';

/** The `createPortvakt` options that point at the test issuer and PDP (names as the library takes them). */
export interface TestConfig {
  issuer: string;
  pdpUrl: string;
  subscriptionKey?: string;
}

/**
 * Options for `createPortvakt({ ...testConfig(issuer, pdp), … })`. `jwksUri` is left out on purpose,
 * so the library discovers it from the issuer's metadata as it would in production.
 */
export function testConfig(issuer: TestIssuer, pdp: TestPdp): TestConfig {
  return {
    issuer: issuer.issuer,
    pdpUrl: pdp.url,
    ...(pdp.subscriptionKey === undefined ? {} : { subscriptionKey: pdp.subscriptionKey }),
  };
}

/** The environment `portvakt serve` needs to use the test issuer and PDP (add `PORT` and the rest yourself). */
export function testEnv(issuer: TestIssuer, pdp: TestPdp): Record<string, string> {
  return {
    MASKINPORTEN_ISSUER: issuer.issuer,
    ALTINN_PDP_URL: pdp.url,
    ...(pdp.subscriptionKey === undefined ? {} : { ALTINN_SUBSCRIPTION_KEY: pdp.subscriptionKey }),
  };
}

export { ContractTestError } from '../contract/error.js';
export type { ContractData } from '../contract/operations.js';
export { formatTable, toJUnitXml } from '../contract/report.js';
export type { CaseOutcome, ContractCaseResult, ContractReport, ContractTestOptions } from '../contract/run.js';
export { contractTest } from './contract.js';
