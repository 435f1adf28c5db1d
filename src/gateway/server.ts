import type { AddressInfo } from 'node:net';
import { type ClaimsStore, createClaimsStore } from '../claims/store.js';
import { type AppLogger, createLogger, namedFieldsLogger } from '../log.js';
import { auditLine } from '../pipeline.js';
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
  /** Told each start-up stage as it begins and ends (`portvakt serve` prints them unless `--quiet`). */
  onProgress?: ProgressListener;
}

/** Start-up stages, in the order they finish on a typical start. */
export type StartStage = 'database' | 'keys' | 'listening';
export type ProgressListener = (stage: StartStage, message: string) => void;

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

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
function loadKeysUntilReady(portvakt: Portvakt, logger: AppLogger, progress: ProgressListener): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const attempt = (delayMs: number) => {
    portvakt.loadKeys().then(
      () => {
        logger.info('signing keys loaded');
        progress('keys', `signing keys loaded (${seconds(started)})`);
      },
      (err) => {
        if (stopped) return;
        progress('keys', `signing keys not loaded yet (${String(err)}); retrying in ${delayMs / 1000} s`);
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

/** Opens the configured claims store, telling `progress` when it starts and when it answers. */
async function openStore(config: GatewayConfig, progress: ProgressListener): Promise<ClaimsStore> {
  const started = performance.now();
  const embedded = config.claimsDatabaseUrl === undefined;
  progress('database', embedded ? 'opening the embedded claims database' : 'connecting to the claims database');
  const store = await createClaimsStore({ databaseUrl: config.claimsDatabaseUrl });
  progress('database', `claims database ready (${seconds(started)})`);
  return store;
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const progress: ProgressListener = options.onProgress ?? (() => undefined);
  // The database first: the embedded one loads on its own thread while the rest of start-up runs here.
  const opening = options.store ? Promise.resolve(options.store) : openStore(config, progress);
  opening.catch(() => undefined); // awaited below
  const closeOpenedStore = () => (options.store ? undefined : opening.then((s) => s.close()).catch(() => undefined));
  let spec: ReturnType<typeof loadSpec>;
  try {
    spec = loadSpec(options.specFile ?? DEFAULT_SPEC);
  } catch (err) {
    await closeOpenedStore();
    throw err;
  }
  const metrics = createGatewayMetrics();
  const portvakt = createPortvakt({
    ...config.portvakt,
    logger,
    audit: auditLine(namedFieldsLogger(logger)),
    observer: metrics.observer,
  });
  // The keys load while the claims database opens: readiness needs both, so neither waits for the other.
  progress('keys', `loading signing keys for ${config.portvakt.issuer}`);
  const stopLoading = loadKeysUntilReady(portvakt, logger, progress);
  let store: ClaimsStore;
  try {
    store = await opening;
  } catch (err) {
    stopLoading();
    await portvakt.close();
    throw err;
  }
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
  const server = options.host ? app.listen(config.port, options.host) : app.listen(config.port);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    stopLoading();
    await portvakt.close();
    if (!options.store) await store.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  logger.info({ port }, 'portvakt gateway listening');
  progress('listening', `listening on http://${host}:${port}`);

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
