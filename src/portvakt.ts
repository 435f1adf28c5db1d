import type { ErrorRequestHandler, RequestHandler } from 'express';
import { createCallers, REMEMBERED_TOKENS_MAX } from './caller/callers.js';
import { ERROR_CODES, type PortvaktError } from './errors.js';
import { type AuthorizeOptions, createAuthorizeMiddleware } from './express/authorize.js';
import { createErrorHandler } from './express/error-handler.js';
import type { Logger } from './observe.js';
import { type PortvaktOptions, parseOptions, type ResolvedOptions } from './options.js';
import { createPdpClient } from './pdp/client.js';
import { createDecisionCache } from './pdp/decision-cache.js';
import { createPepCredentials } from './pdp/pep-credentials.js';
import { createRedisDecisionStore } from './pdp/shared-cache.js';
import { type AuthorizeRequest, auditLine, createPipeline } from './pipeline.js';
import { createJsonFetcher, discoverJwksUri } from './token/discovery.js';
import { createRemoteKeySet, type RemoteKeySet } from './token/jwks.js';
import { createTokenVerifier } from './token/verify.js';

export interface Portvakt {
  /** Express (4 or 5) middleware enforcing one operation; refusals go to `next(err)`. */
  authorize(options: AuthorizeOptions): RequestHandler;
  /** Writes refusals as RFC 9457 problem+json. */
  errorHandler(): ErrorRequestHandler;
  /** The framework-free pipeline, for other HTTP stacks: the handler's context, or a rejected PortvaktError. */
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

function createKeySet(options: ResolvedOptions, logger: Logger): RemoteKeySet {
  const fetchJson = createJsonFetcher({ timeoutMs: options.jwksTimeoutMs });
  const { jwksUri, issuer } = options;
  return createRemoteKeySet({
    jwksUri: jwksUri ? async () => jwksUri : once(() => discoverJwksUri(issuer, fetchJson)),
    fetchJson,
    onRefresh: (outcome, err) => {
      options.observer?.jwksRefresh?.(outcome);
      if (outcome === 'error') logger.warn({ err: String(err) }, 'JWKS refresh failed');
    },
  });
}

function createDecisions(options: ResolvedOptions, logger: Logger) {
  const { observer = {}, pepCredentials: pep } = options;
  const credentials =
    pep &&
    createPepCredentials({
      tokenEndpoint: new URL('token', options.issuer).href,
      audience: options.issuer,
      exchangeUrl: pep.tokenExchangeUrl,
      clientId: pep.clientId,
      keyId: pep.keyId,
      privateKey: pep.privateKey,
      timeoutMs: options.pdpTimeoutMs,
    });
  const { ttlSeconds, max, redisUrl, redisTimeoutMs } = options.decisionCache;
  const shared =
    redisUrl === undefined
      ? undefined
      : createRedisDecisionStore({
          url: redisUrl,
          timeoutMs: redisTimeoutMs,
          logger,
          onLookup: (outcome) => observer.sharedCacheLookup?.(outcome),
          onError: (operation) => observer.sharedCacheError?.(operation),
        });
  const decisions = createDecisionCache({
    ttlSeconds,
    max,
    shared,
    decide: createPdpClient({
      url: options.pdpUrl,
      subscriptionKey: options.subscriptionKey,
      timeoutMs: options.pdpTimeoutMs,
      accessToken: credentials && (() => credentials.token()),
      onCall: (outcome, ms) => observer.pdpCall?.(outcome, ms),
    }),
    onLookup: (status) => observer.decisionLookup?.(status),
  });
  return { decisions, shared };
}

/**
 * One Portvakt instance: one issuer's key set, one PDP client and one decision cache, shared by every
 * `authorize()` middleware made from it. Options are validated here, not at the first request. Nothing here
 * loads Express: `authorize()` and `errorHandler()` only use the request and response they are given.
 *
 * @example
 * const portvakt = createPortvakt({ issuer: 'https://test.maskinporten.no/', pdpUrl: 'https://…/authorize' });
 * app.get('/v1/:party/things', portvakt.authorize({ scope, resource, action }), handler);
 * app.use(portvakt.errorHandler());
 */
export function createPortvakt(input: PortvaktOptions): Portvakt {
  const options = parseOptions(input);
  const logger = options.logger ?? silentLogger;
  const { observer } = options;
  // Counted where they are made: the token stage and the pipeline call this before throwing.
  const refused = (err: PortvaktError) => {
    if (ERROR_CODES[err.code].stage === 'token') observer?.tokenRejected?.(err.code);
    return err;
  };
  const keys = createKeySet(options, logger);
  const rules = { issuer: options.issuer, audience: options.audience };
  const callers = createCallers({
    verify: createTokenVerifier({ ...rules, keys }),
    rules,
    keys,
    max: REMEMBERED_TOKENS_MAX,
    refused,
  });
  const { decisions, shared } = createDecisions(options, logger);
  const pipeline = createPipeline({
    callers,
    decisions,
    refused,
    audit: options.audit ?? (options.logger && auditLine(options.logger)),
  });
  const authorizeRequest: AuthorizeRequest = async (request, operation) => pipeline(request, operation);

  return {
    authorize: (operation) => createAuthorizeMiddleware(pipeline, operation),
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
