import { z } from 'zod';
import type { Logger, Observer } from './observe.js';
import type { AuditEntry } from './pipeline.js';
import { HTTP_PROTOCOLS, isUrl, REDIS_PROTOCOLS } from './url.js';

const url = (what: string) =>
  z
    .string({ error: `${what} must be a URL string` })
    .refine((v) => isUrl(v, HTTP_PROTOCOLS), `${what} must be an http(s) URL`);
const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .positive(`${what} must be positive`);

/** Options of `createPortvakt`. Durations carry their unit in the name. */
export const portvaktOptionsSchema = z
  .object({
    /** Exact expected `iss`, e.g. `https://test.maskinporten.no/` (the trailing slash matters). */
    issuer: url('issuer'),
    /** Signing keys; default: discovered from `<issuer>/.well-known/oauth-authorization-server`. */
    jwksUri: url('jwksUri').optional(),
    /** When set, `aud` must contain it. */
    audience: z.string().min(1).optional(),
    /** Full URL of Altinn's PDP, e.g. `https://platform.tt02.altinn.no/authorization/api/v1/authorize`. */
    pdpUrl: url('pdpUrl'),
    /** Sent as `Ocp-Apim-Subscription-Key` on every PDP call. */
    // `process.env.X` of an empty variable is '': read as "not set", as the gateway's config does.
    subscriptionKey: z
      .string()
      .optional()
      .transform((v) => (v === '' ? undefined : v)),
    decisionCache: z
      .object({
        /** How long a Permit is reused, in seconds. Default 30. Deny/NotApplicable: at most 5 s. */
        ttlSeconds: positiveInt('decisionCache.ttlSeconds').default(30),
        /** Bound on cached decisions (LRU). Default 100000. */
        max: positiveInt('decisionCache.max').default(100_000),
        /**
         * `redis://` or `rediss://` URL of a Redis shared by several replicas, as a second level between this
         * process's cache and the PDP (`DECISION_CACHE_REDIS_URL`). Default: unset, no shared level.
         * Same keys (`portvakt:decision:v2:` + system user, resource, action, party) and TTLs; errors are
         * never stored. Lookups go local cache → Redis → PDP; a Redis hit counts as `cached`. An unreachable
         * or slow Redis degrades to this process's cache (warned once per outage, `observer.sharedCacheError`),
         * never to a failure or to access. Anyone who can write to this Redis can grant access: keep it
         * private and authenticated, one database per environment. Call `portvakt.close()` at shutdown.
         */
        redisUrl: z
          .string({ error: 'decisionCache.redisUrl must be a URL string' })
          .refine((v) => isUrl(v, REDIS_PROTOCOLS), 'decisionCache.redisUrl must be a redis:// or rediss:// URL')
          .optional(),
        /** Deadline of one Redis command, in milliseconds; a slower Redis is skipped for a second. Default 100. */
        redisTimeoutMs: positiveInt('decisionCache.redisTimeoutMs').optional(),
      })
      .strict()
      .default({ ttlSeconds: 30, max: 100_000 }),
    /** One PDP call's deadline in milliseconds. Default 2000. */
    pdpTimeoutMs: positiveInt('pdpTimeoutMs').default(2000),
    /** Deadline for fetching issuer metadata and JWKS, in milliseconds. Default 5000. */
    jwksTimeoutMs: positiveInt('jwksTimeoutMs').default(5000),
    /** The PEP's own credentials: when set, the PDP is called with an Altinn token. */
    pepCredentials: z
      .object({
        tokenExchangeUrl: url('pepCredentials.tokenExchangeUrl'),
        clientId: z.string().min(1),
        keyId: z.string().min(1),
        /** PEM text of the client's RSA private key. */
        privateKey: z.string().includes('PRIVATE KEY', { message: 'pepCredentials.privateKey must be a PEM key' }),
      })
      .strict()
      .optional(),
    /** A pino-compatible logger for audit lines and warnings. Default: silent. */
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'info' in v && 'warn' in v).optional(),
    /**
     * Where each decision's audit entry goes. Default: with a `logger`, one line on it at `info`
     * (`{ audit: entry }`, "authorization decision"); without one, nowhere.
     */
    audit: z.custom<(entry: AuditEntry) => void>((v) => typeof v === 'function', 'audit must be a function').optional(),
    /** Receives counters/timings; the gateway wires prom-client here. */
    observer: z.custom<Observer>((v) => typeof v === 'object' && v !== null).optional(),
  })
  .strict();

export type PortvaktOptions = z.input<typeof portvaktOptionsSchema>;
export type ResolvedOptions = z.output<typeof portvaktOptionsSchema>;

const word = (what: string) =>
  z.string({ error: `${what} must be a string` }).regex(/^\S+$/, `${what} must be one non-empty word`);

/** What `authorize()` takes: the operation, and optionally where the party is and more checks. */
export const authorizeOptionsSchema = z
  .object({
    scope: word('scope'),
    resource: word('resource'),
    action: word('action'),
    party: z.custom<unknown>((v) => typeof v === 'function', 'party must be a function').optional(),
    validate: z.custom<unknown>((v) => typeof v === 'function', 'validate must be a function').optional(),
  })
  .strict();

/** Parses options once, at construction, with messages that name the option. */
export function parseOptions(input: unknown): ResolvedOptions {
  return parseWith(portvaktOptionsSchema, input, 'option');
}

/** Checks `authorize()`'s options when the middleware is made, not at its first request. */
export function checkAuthorizeOptions(input: unknown): void {
  parseWith(authorizeOptionsSchema, input, 'authorize() option');
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.') || 'options';
    throw new TypeError(`portvakt: invalid ${what} "${path}": ${issue.message}`);
  }
  return parsed.data;
}
