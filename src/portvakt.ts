import type { ErrorRequestHandler, RequestHandler } from 'express';
import { type AuthorizeOptions, createAuthorizeMiddleware } from './express/authorize.js';
import { createErrorHandler } from './express/error-handler.js';
import { type Logger, type PortvaktOptions, parseOptions } from './options.js';
import { createPdpClient } from './pdp/client.js';
import { createDecisionCache } from './pdp/decision-cache.js';
import { createPepCredentials } from './pdp/pep-credentials.js';
import { createRedisDecisionStore } from './pdp/shared-cache.js';
import { type AuditEntry, type AuthorizeRequest, type AuthorizeRequestSync, createPipeline } from './pipeline.js';
import { createJsonFetcher, discoverJwksUri } from './token/discovery.js';
import { createRemoteKeySet, type RemoteKeySet } from './token/jwks.js';
import { createVerifiedTokenCache, VERIFIED_TOKEN_CACHE_MAX } from './token/verified-cache.js';
import { createTokenVerifier } from './token/verify.js';

export interface Portvakt {
  /** Express middleware enforcing one operation; refusals go to `next(err)`. */
  authorize(options: AuthorizeOptions): RequestHandler;
  /** Writes refusals as RFC 9457 problem+json (contract §4). */
  errorHandler(): ErrorRequestHandler;
  /** The framework-free pipeline, for other HTTP stacks. */
  authorizeRequest: AuthorizeRequest;
  /** Loads the signing keys now; rejects while the issuer cannot be reached. */
  loadKeys(): Promise<void>;
  /** True once the signing keys have been loaded. */
  readonly keysLoaded: boolean;
  /**
   * Forgets every decision cached in this process (e.g. after a known revocation). With Redis, this process
   * also stops reading Redis for one Permit TTL; other replicas keep theirs.
   */
  clearDecisions(): void;
  /** Releases the shared decision cache's Redis connection, if any. Call at shutdown. */
  close(): Promise<void>;
}

/** Refusals of the token itself (not of the request or the decision), counted by reason. */
const TOKEN_REJECTIONS = new Set(['token_missing', 'token_invalid', 'insufficient_scope', 'systemuser_missing']);

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Caches a promise, dropping it on failure so the next call retries (as auth0's discovery does). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

function createKeySet(options: ReturnType<typeof parseOptions>): RemoteKeySet {
  const fetchJson = createJsonFetcher({ timeoutMs: options.jwksTimeoutMs });
  const { jwksUri, issuer } = options;
  return createRemoteKeySet({
    jwksUri: jwksUri ? async () => jwksUri : once(() => discoverJwksUri(issuer, fetchJson)),
    fetchJson,
    onRefresh: (outcome, err) => {
      options.observer?.jwksRefresh?.(outcome);
      if (outcome === 'error') options.logger?.warn({ err: String(err) }, 'JWKS refresh failed');
    },
  });
}

/**
 * One Portvakt instance: one issuer's key set, one PDP client and one decision cache,
 * shared by every `authorize()` middleware made from it. Options are validated here, not at the first request.
 */
export function createPortvakt(input: PortvaktOptions): Portvakt {
  const options = parseOptions(input);
  const logger = options.logger ?? silentLogger;
  const observer = options.observer ?? {};
  const keys = createKeySet(options);
  const claimRules = { issuer: options.issuer, audience: options.audience, keys };
  const verify = createVerifiedTokenCache(createTokenVerifier(claimRules), {
    max: VERIFIED_TOKEN_CACHE_MAX,
    keys,
    claimRules,
  });
  const pep = options.pepCredentials;
  const credentials = pep
    ? createPepCredentials({
        tokenEndpoint: new URL('token', options.issuer).href,
        audience: options.issuer,
        exchangeUrl: pep.tokenExchangeUrl,
        clientId: pep.clientId,
        keyId: pep.keyId,
        privateKey: pep.privateKey,
        timeoutMs: options.pdpTimeoutMs,
      })
    : undefined;
  const decide = createPdpClient({
    url: options.pdpUrl,
    subscriptionKey: options.subscriptionKey,
    timeoutMs: options.pdpTimeoutMs,
    accessToken: credentials && (() => credentials.token()),
    onCall: (outcome, ms) => observer.pdpCall?.(outcome, ms),
  });
  const { redisUrl, redisTimeoutMs } = options.decisionCache;
  const shared = redisUrl
    ? createRedisDecisionStore({
        url: redisUrl,
        timeoutMs: redisTimeoutMs,
        logger,
        onLookup: (outcome) => observer.sharedCacheLookup?.(outcome),
        onError: (operation) => observer.sharedCacheError?.(operation),
      })
    : undefined;
  const decisions = createDecisionCache({
    ttlSeconds: options.decisionCache.ttlSeconds,
    max: options.decisionCache.max,
    decide,
    shared,
    onLookup: (status) => observer.decisionLookup?.(status),
  });
  const pipeline = createPipeline({
    verifyToken: verify,
    peekToken: verify.peek,
    claimRules,
    decisions,
    audit: options.logger && ((entry: AuditEntry) => logger.info({ audit: entry }, 'authorization decision')),
  });
  const counted = (err: unknown): never => {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && TOKEN_REJECTIONS.has(code)) observer.tokenRejected?.(code);
    throw err;
  };
  // Synchronous when both caches answer (the middleware then calls next() in the same tick).
  const authorizeSync: AuthorizeRequestSync = (request, operation) => {
    try {
      const result = pipeline(request, operation);
      return result instanceof Promise ? result.catch(counted) : result;
    } catch (err) {
      return counted(err);
    }
  };
  const authorizeRequest: AuthorizeRequest = async (request, operation) => authorizeSync(request, operation);

  return {
    authorize: (operation) => createAuthorizeMiddleware(authorizeSync, operation),
    errorHandler: () => createErrorHandler(logger),
    authorizeRequest,
    loadKeys: () => keys.refresh(),
    get keysLoaded() {
      return keys.loaded;
    },
    clearDecisions: () => decisions.clear(),
    close: async () => shared?.close(),
  };
}
