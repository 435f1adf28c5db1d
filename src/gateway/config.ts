import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { type PortvaktOptions, parseOptions, type ResolvedOptions } from '../options.js';
import { HTTP_PROTOCOLS, isUrl, POSTGRES_PROTOCOLS, REDIS_PROTOCOLS } from '../url.js';

/**
 * The gateway's configuration, parsed once from the environment (the only place that reads `process.env`):
 * the library's options in the library's own shape, plus what only the gateway has.
 */
export interface GatewayConfig {
  /** `createPortvakt`'s options, parsed (defaults applied by the library's schema); the gateway adds logger and observer. */
  portvakt: ResolvedOptions;
  port: number;
  claimsDatabaseUrl: string | undefined;
  logLevel: string;
  /** `TRUST_PROXY`: hops (a number) or addresses/CIDRs whose `X-Forwarded-*` are believed; unset: none. */
  trustProxy: number | string[] | undefined;
  /** Proxy mode's deadlines, in milliseconds. */
  upstream: {
    /** `UPSTREAM_HEADERS_TIMEOUT_MS` (10000): until the upstream's status line. */
    headersTimeoutMs: number;
    /** `UPSTREAM_BODY_IDLE_TIMEOUT_MS` (10000): longest silence in the upstream's body. */
    bodyIdleTimeoutMs: number;
    /** `UPSTREAM_TOTAL_TIMEOUT_MS` (30000): the whole upstream exchange. */
    totalTimeoutMs: number;
    /** `REQUEST_BODY_IDLE_TIMEOUT_MS` (10000): longest silence in a client's request body. */
    requestBodyIdleTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const urlVar = (protocols: readonly string[], message: string) =>
  z.string().refine((v) => isUrl(v, protocols), message);
const httpUrl = urlVar(HTTP_PROTOCOLS, 'must be an http(s) URL');
/** A positive integer; unset stays unset, so the library's own default applies (defaults are written once). */
const positiveInt = optional.pipe(
  z
    .string()
    .regex(/^[1-9][0-9]*$/, 'must be a positive integer')
    .transform(Number)
    .refine(Number.isSafeInteger, 'must be a positive integer')
    .optional(),
);
/** A gateway-only setting with its default. */
const positiveIntOr = (fallback: number) => positiveInt.transform((v) => v ?? fallback);

/** Express's names for address ranges (proxy-addr). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or a named range. */
function isTrustEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`, as Express's `trust proxy` without `true` (which would believe any client): a hop
 * count, or a comma-separated list of addresses, CIDRs and `loopback`/`linklocal`/`uniquelocal`.
 */
const trustProxyVar = optional.pipe(
  z
    .string()
    .optional()
    .transform((v, ctx): number | string[] | undefined => {
      if (v === undefined || v === 'false') return undefined;
      if (/^[0-9]+$/.test(v)) return Number(v) === 0 ? undefined : Number(v);
      const entries = v.split(',').map((e) => e.trim());
      const bad = entries.find((e) => !isTrustEntry(e));
      if (bad === undefined) return entries;
      ctx.addIssue({
        code: 'custom',
        message: `must be a hop count or addresses/CIDRs (loopback, linklocal, uniquelocal), not ${JSON.stringify(bad)}`,
      });
      return z.NEVER;
    }),
);

const envSchema = z.object({
  PORT: optional.pipe(
    z
      .string()
      .regex(/^[0-9]+$/, 'must be a port number')
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, 'must be a port number (0-65535)')
      .optional()
      .transform((v) => v ?? 8080),
  ),
  MASKINPORTEN_ISSUER: optional.pipe(z.string({ error: 'is required' }).pipe(httpUrl)),
  MASKINPORTEN_JWKS_URI: optional.pipe(httpUrl.optional()),
  MASKINPORTEN_AUDIENCE: optional,
  ALTINN_PDP_URL: optional.pipe(z.string({ error: 'is required' }).pipe(httpUrl)),
  ALTINN_SUBSCRIPTION_KEY: optional,
  ALTINN_TOKEN_EXCHANGE_URL: optional.pipe(httpUrl.optional()),
  PEP_CLIENT_ID: optional,
  PEP_KEY_ID: optional,
  PEP_PRIVATE_KEY: optional,
  DECISION_CACHE_TTL_SECONDS: positiveInt,
  DECISION_CACHE_MAX: positiveInt,
  DECISION_CACHE_REDIS_URL: optional.pipe(urlVar(REDIS_PROTOCOLS, 'must be a redis:// or rediss:// URL').optional()),
  PDP_TIMEOUT_MS: positiveInt,
  CLAIMS_DATABASE_URL: optional.pipe(urlVar(POSTGRES_PROTOCOLS, 'must be a postgres:// URL').optional()),
  TRUST_PROXY: trustProxyVar,
  UPSTREAM_HEADERS_TIMEOUT_MS: positiveIntOr(10_000),
  UPSTREAM_BODY_IDLE_TIMEOUT_MS: positiveIntOr(10_000),
  UPSTREAM_TOTAL_TIMEOUT_MS: positiveIntOr(30_000),
  REQUEST_BODY_IDLE_TIMEOUT_MS: positiveIntOr(10_000),
  LOG_LEVEL: optional.pipe(
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .optional()
      .transform((v) => v ?? 'info'),
  ),
});

const PEP_VARS = ['ALTINN_TOKEN_EXCHANGE_URL', 'PEP_CLIENT_ID', 'PEP_KEY_ID', 'PEP_PRIVATE_KEY'] as const;

/** PEM text, or a path to a file holding it. */
function readPem(value: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch {
    throw new ConfigError('PEP_PRIVATE_KEY: neither a PEM key nor a readable file');
  }
}

/** The environment variable behind each library option, to name it when the library refuses a value. */
const VARIABLE_OF_OPTION: Record<string, string> = {
  issuer: 'MASKINPORTEN_ISSUER',
  jwksUri: 'MASKINPORTEN_JWKS_URI',
  audience: 'MASKINPORTEN_AUDIENCE',
  pdpUrl: 'ALTINN_PDP_URL',
  subscriptionKey: 'ALTINN_SUBSCRIPTION_KEY',
  'decisionCache.ttlSeconds': 'DECISION_CACHE_TTL_SECONDS',
  'decisionCache.max': 'DECISION_CACHE_MAX',
  'decisionCache.redisUrl': 'DECISION_CACHE_REDIS_URL',
  pdpTimeoutMs: 'PDP_TIMEOUT_MS',
  'pepCredentials.tokenExchangeUrl': 'ALTINN_TOKEN_EXCHANGE_URL',
  'pepCredentials.clientId': 'PEP_CLIENT_ID',
  'pepCredentials.keyId': 'PEP_KEY_ID',
  'pepCredentials.privateKey': 'PEP_PRIVATE_KEY',
};

/** The library's own schema applies its defaults and checks; its refusal is reported under the variable's name. */
function parseLibraryOptions(options: PortvaktOptions): ResolvedOptions {
  try {
    return parseOptions(options);
  } catch (err) {
    const option = /option "([^"]+)"/.exec(String((err as Error).message))?.[1] ?? '';
    throw new ConfigError(`${VARIABLE_OF_OPTION[option] ?? option}: ${(err as Error).message}`);
  }
}

/** Parses the environment; throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  }
  const e = parsed.data;
  const pepSet = PEP_VARS.filter((name) => e[name] !== undefined);
  if (pepSet.length > 0 && pepSet.length < PEP_VARS.length) {
    const missing = PEP_VARS.find((name) => e[name] === undefined)!;
    throw new ConfigError(`${missing}: is required when ${pepSet.join(', ')} is set`);
  }
  const library: PortvaktOptions = {
    issuer: e.MASKINPORTEN_ISSUER,
    jwksUri: e.MASKINPORTEN_JWKS_URI,
    audience: e.MASKINPORTEN_AUDIENCE,
    pdpUrl: e.ALTINN_PDP_URL,
    subscriptionKey: e.ALTINN_SUBSCRIPTION_KEY,
    pepCredentials:
      pepSet.length === PEP_VARS.length
        ? {
            tokenExchangeUrl: e.ALTINN_TOKEN_EXCHANGE_URL!,
            clientId: e.PEP_CLIENT_ID!,
            keyId: e.PEP_KEY_ID!,
            privateKey: readPem(e.PEP_PRIVATE_KEY!),
          }
        : undefined,
    decisionCache: {
      ttlSeconds: e.DECISION_CACHE_TTL_SECONDS,
      max: e.DECISION_CACHE_MAX,
      redisUrl: e.DECISION_CACHE_REDIS_URL,
    },
    pdpTimeoutMs: e.PDP_TIMEOUT_MS,
  };
  return {
    portvakt: parseLibraryOptions(library),
    port: e.PORT,
    claimsDatabaseUrl: e.CLAIMS_DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    upstream: {
      headersTimeoutMs: e.UPSTREAM_HEADERS_TIMEOUT_MS,
      bodyIdleTimeoutMs: e.UPSTREAM_BODY_IDLE_TIMEOUT_MS,
      totalTimeoutMs: e.UPSTREAM_TOTAL_TIMEOUT_MS,
      requestBodyIdleTimeoutMs: e.REQUEST_BODY_IDLE_TIMEOUT_MS,
    },
  };
}
