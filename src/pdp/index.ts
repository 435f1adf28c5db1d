export { createPdpClient, type Decide, type PdpCallOutcome, type PdpClientOptions } from './client.js';
export {
  type CachedDecision,
  createDecisionCache,
  type DecisionCache,
  type DecisionCacheOptions,
  type DecisionLookup,
  MAX_DENY_TTL_SECONDS,
} from './decision-cache.js';
export { createPepCredentials, PEP_SCOPE, type PepCredentials, type PepCredentialsOptions } from './pep-credentials.js';
export { buildPdpRequest, type PdpRequestBody, XACML_ATTRIBUTES } from './request.js';
export { assertPermit, type Decision, readDecision } from './response.js';
