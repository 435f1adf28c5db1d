import type { AddressInfo } from 'node:net';
import { type ClaimsStore, createClaimsStore } from '../claims/store.js';
import { type AppLogger, createLogger } from '../log.js';
import { createPortvakt, type Portvakt } from '../portvakt.js';
import { createGatewayApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { kravOgBetalingerHandlers } from './handlers/krav-og-betalinger.js';
import type { ResourceHandler } from './handlers/types.js';
import { createGatewayMetrics } from './metrics.js';
import { loadSpec } from './openapi.js';

export const DEFAULT_SPEC = new URL('../../openapi.yaml', import.meta.url);
/** In-flight requests get this long to finish after SIGTERM. */
const DRAIN_MS = 10_000;

export interface GatewayOptions {
  logger?: AppLogger;
  /** Interface to listen on. Default: all. */
  host?: string;
  specFile?: string | URL;
  handlers?: Record<string, ResourceHandler>;
  /** A ready store (tests, sandbox); default: created from `config.claimsDatabaseUrl`. */
  store?: ClaimsStore;
  /** Deadline for a proxied operation's upstream (`x-portvakt-upstream`) to answer, in ms; overrides `UPSTREAM_HEADERS_TIMEOUT_MS`. */
  upstreamTimeoutMs?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  portvakt: Portvakt;
  /** Stops accepting, lets in-flight requests finish (≤ 10 s), then releases the store. */
  close(): Promise<void>;
}

/**
 * Keeps trying to load the issuer's keys with capped exponential backoff: an issuer that is down at
 * start is an outage to ride out (readiness stays 503), not a reason to exit.
 */
function loadKeysUntilReady(portvakt: Portvakt, logger: AppLogger): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (delayMs: number) => {
    portvakt.loadKeys().then(
      () => logger.info('signing keys loaded'),
      (err) => {
        if (stopped) return;
        logger.warn({ err: String(err), retryInMs: delayMs }, 'signing keys not loaded yet; retrying');
        timer = setTimeout(() => attempt(Math.min(delayMs * 2, 30_000)), delayMs);
        timer.unref();
      },
    );
  };
  attempt(1000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const spec = loadSpec(options.specFile ?? DEFAULT_SPEC);
  const store = options.store ?? (await createClaimsStore({ databaseUrl: config.claimsDatabaseUrl }));
  const metrics = createGatewayMetrics();
  const portvakt = createPortvakt({ ...config.portvakt, logger, observer: metrics.observer });
  const app = createGatewayApp({
    portvakt,
    spec,
    store,
    logger,
    metrics,
    handlers: options.handlers ?? kravOgBetalingerHandlers,
    upstream: { ...config.upstream, headersTimeoutMs: options.upstreamTimeoutMs ?? config.upstream.headersTimeoutMs },
    trustProxy: config.trustProxy,
  });
  const stopLoading = loadKeysUntilReady(portvakt, logger);
  const server = options.host ? app.listen(config.port, options.host) : app.listen(config.port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  logger.info({ port }, 'portvakt gateway listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopLoading();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
      await drained;
      clearTimeout(force);
      await portvakt.close();
      if (!options.store) await store.close();
    })();
    return closing;
  };
  return { url: `http://${host}:${port}`, port, portvakt, close };
}
