/** A pino-compatible logger: audit lines and warnings. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Hooks for metrics; every one optional, none may throw. The gateway wires prom-client here. */
export interface Observer {
  /** A refusal of the token itself (`token_missing`, `token_invalid`, `insufficient_scope`, `systemuser_missing`). */
  tokenRejected?(reason: string): void;
  jwksRefresh?(outcome: 'ok' | 'error'): void;
  pdpCall?(outcome: 'permit' | 'deny' | 'error', ms: number): void;
  /** A lookup of this process's decision cache; with Redis, a `miss` asks Redis before the PDP. */
  decisionLookup?(status: 'hit' | 'miss' | 'inflight'): void;
  /**
   * A lookup of the shared (Redis) decision cache: `malformed` is a value Portvakt did not write (treated as a
   * miss); `unavailable` is a failed or skipped command (outage, cooldown).
   */
  sharedCacheLookup?(outcome: 'hit' | 'miss' | 'malformed' | 'unavailable'): void;
  /** A failed Redis command or connection attempt of the shared decision cache. */
  sharedCacheError?(operation: 'get' | 'set' | 'connection'): void;
}
