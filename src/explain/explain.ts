import { callerOf } from '../caller/caller.js';
import { type ErrorCode, isPortvaktError } from '../errors.js';
import { type ConfigError, loadConfig } from '../gateway/config.js';
import { createPortvakt } from '../portvakt.js';
import { type PdpExchange, startPdpRecorder } from './pdp-recorder.js';

/** The checks of the pipeline, in the order the gateway runs them. */
export const CHECKS = ['token', 'scope', 'system user', 'party', 'decision'] as const;
export type CheckName = (typeof CHECKS)[number];

const CHECK_OF: Record<string, CheckName> = {
  token_missing: 'token',
  token_invalid: 'token',
  jwks_unavailable: 'token',
  insufficient_scope: 'scope',
  systemuser_missing: 'system user',
  party_invalid: 'party',
  access_denied: 'decision',
  pdp_unavailable: 'decision',
};

export interface CheckResult {
  check: CheckName;
  outcome: 'pass' | 'fail' | 'not run';
  detail: string;
}

/** What the token says, read without trusting it. */
export interface TokenDescription {
  header: { alg?: unknown; kid?: unknown; typ?: unknown };
  issuer?: unknown;
  audience?: unknown;
  issuedAt?: string;
  notBefore?: string;
  expiresAt?: string;
  /** `exp` lies more than the 30 s clock tolerance in the past. */
  expired: boolean;
  scopes: string[];
  systemUser?: { id: string; orgNo: string; systemId: string; kind: string };
  /** Why the system user entry is missing or unreadable. */
  systemUserProblem?: string;
  consumerOrgNo?: string;
  clientId?: string;
}

export interface Explanation {
  /** Undefined when the text is not a JWS at all. */
  token: TokenDescription | undefined;
  /** What was checked against: `issuer` (and its keys), the operation and party. */
  against: { issuer?: string; operation?: string; party?: string; pdpUrl?: string };
  checks: CheckResult[];
  /** The first check that refuses the token, with the answer the gateway would give. */
  refusal?: { check: CheckName; status: number; code: ErrorCode; detail: string };
  /** Whether a request with this token would pass every check that was run. */
  passes: boolean;
  /** The issuer's key set, when `issuer` was given: whether the token's `kid` is in it. */
  keys?: { jwksUri: string; kids: string[]; kidFound: boolean } | { error: string };
  /** The PDP exchange the pipeline made (request as sent, answer as received). */
  pdp?: PdpExchange;
}

export interface ExplainOptions {
  token: string;
  /** Check the signature against this issuer's metadata and JWKS (else `MASKINPORTEN_ISSUER` with an operation). */
  issuer?: string | undefined;
  /** Run the whole pipeline for this operation (scope, resource, action) and party, PDP included. */
  operation?: { operationId: string; scope: string; resource: string; action: string } | undefined;
  party?: string | undefined;
  /** The gateway's environment variables (MASKINPORTEN_*, ALTINN_*, PEP_*, PDP_TIMEOUT_MS). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. Default `Date.now()`. */
  now?: number;
}

export class ExplainError extends Error {
  override name = 'ExplainError';
}

/** As the verifier allows. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** A scope no operation has: asking for it stops the pipeline right after the token checks. */
const NO_SUCH_SCOPE = 'portvakt:explain:token-only';

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** "3 min ago", "in 58 min", with the instant. */
export function relative(seconds: unknown, now: number): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    return seconds === undefined ? undefined : `not a number (${String(seconds)})`;
  const delta = Math.round(seconds - now / 1000);
  const size = Math.abs(delta);
  const amount =
    size < 120 ? `${size} s` : size < 7200 ? `${Math.round(size / 60)} min` : `${Math.round(size / 3600)} h`;
  const when = new Date(seconds * 1000).toISOString().replace('.000', '');
  return `${delta <= 0 ? `${amount} ago` : `in ${amount}`} (${when})`;
}

export function describeToken(token: string, now: number): TokenDescription | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodeSegment(parts[0]);
  const payload = decodeSegment(parts[1]);
  if (!header || !payload) return undefined;
  const description: TokenDescription = {
    header: { alg: header.alg, kid: header.kid, typ: header.typ },
    issuer: payload.iss,
    audience: payload.aud,
    expired: typeof payload.exp === 'number' && payload.exp <= now / 1000 - CLOCK_TOLERANCE_SECONDS,
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
  };
  const times = { issuedAt: payload.iat, notBefore: payload.nbf, expiresAt: payload.exp } as const;
  for (const [key, value] of Object.entries(times)) {
    const text = relative(value, now);
    if (text !== undefined) description[key as 'issuedAt'] = text;
  }
  const caller = callerOf(payload);
  if (caller.systemUser) {
    description.systemUser = {
      id: caller.systemUser.id,
      orgNo: caller.systemUser.orgNo,
      systemId: caller.systemId,
      // Maskinporten's token does not say which; Altinn knows, and the PDP decides accordingly.
      kind: 'standard, or agent when the party is a client of this organization (the token does not say; Altinn decides)',
    };
  } else {
    description.systemUserProblem = caller.problem;
  }
  if (caller.consumerOrgNo) description.consumerOrgNo = caller.consumerOrgNo;
  if (caller.clientId) description.clientId = caller.clientId;
  return description;
}

async function fetchKeys(issuer: string): Promise<NonNullable<Explanation['keys']>> {
  const get = async (url: URL) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
    if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const metadata = await get(new URL('.well-known/oauth-authorization-server', issuer));
    if (metadata.issuer !== issuer) {
      return { error: `the metadata names issuer ${JSON.stringify(metadata.issuer)}, not ${issuer} (RFC 8414 §3.3)` };
    }
    const jwksUri = String(metadata.jwks_uri);
    const jwks = await get(new URL(jwksUri));
    const kids = (Array.isArray(jwks.keys) ? jwks.keys : []).map((k) => String((k as { kid?: unknown }).kid));
    return { jwksUri, kids, kidFound: false };
  } catch (err) {
    return { error: `could not read the issuer's metadata and keys: ${(err as Error).message}` };
  }
}

function configError(err: unknown): never {
  throw new ExplainError(`the pipeline needs the gateway's environment: ${(err as ConfigError).message}`);
}

type Refusal = NonNullable<Explanation['refusal']>;

/** Reading only, without the issuer's keys: structure, expiry and the system user entry. */
function readOnlyRefusal(token: TokenDescription | undefined): Refusal | undefined {
  if (!token)
    return { check: 'token', status: 401, code: 'token_invalid', detail: 'not a JWS (three base64url JSON parts)' };
  if (token.expired)
    return { check: 'token', status: 401, code: 'token_invalid', detail: `expired ${token.expiresAt ?? ''}` };
  return systemUserRefusal(token);
}

function systemUserRefusal(token: TokenDescription | undefined): Refusal | undefined {
  if (!token || token.systemUser) return undefined;
  return { check: 'system user', status: 403, code: 'systemuser_missing', detail: token.systemUserProblem ?? '' };
}

/**
 * Says what a token is and the first check that would refuse it. Without `issuer` or `operation` it
 * reads the token only; with `issuer` it checks signature and claims with Portvakt's own verifier;
 * with `operation` and `party` it runs the whole pipeline as the gateway would (options from the same
 * environment variables), PDP call included.
 */
export async function explainToken(options: ExplainOptions): Promise<Explanation> {
  const token = options.token.trim().replace(/^Bearer\s+/i, '');
  const description = describeToken(token, options.now ?? Date.now());
  const explanation: Explanation = { token: description, against: {}, checks: [], passes: true };
  if (options.operation && options.party === undefined) throw new ExplainError('--operation needs --party');

  let refusal: Refusal | undefined;
  let run: readonly CheckName[] = ['token', 'system user'];
  if (options.operation) {
    run = CHECKS;
    refusal = await runPipeline(token, options, options.operation, explanation);
  } else if (options.issuer) {
    // The verifier, then the same system user reading the pipeline does (it would come after the scope).
    refusal = (await runPipeline(token, options, undefined, explanation)) ?? systemUserRefusal(description);
  } else {
    refusal = readOnlyRefusal(description);
  }

  const failedAt = refusal ? run.indexOf(refusal.check) : run.length;
  explanation.checks = run.map((check, i) => ({
    check,
    outcome: i < failedAt ? 'pass' : i === failedAt ? 'fail' : 'not run',
    detail:
      i < failedAt
        ? passDetail(check, description, options, explanation.keys)
        : i === failedAt
          ? `${refusal!.status} ${refusal!.code}: ${refusal!.detail}`
          : 'not reached',
  }));
  if (refusal) {
    explanation.refusal = refusal;
    explanation.passes = false;
  }
  return explanation;
}

/**
 * Runs Portvakt's pipeline on the token: for `operation` with the gateway's options from the environment
 * and a recorder in front of the PDP; without one, only the token checks against `options.issuer`.
 */
async function runPipeline(
  token: string,
  options: ExplainOptions,
  operation: ExplainOptions['operation'],
  explanation: Explanation,
): Promise<Refusal | undefined> {
  const env = options.env ?? process.env;
  let config: ReturnType<typeof loadConfig> | undefined;
  if (operation) {
    try {
      config = loadConfig({ ...env, ...(options.issuer ? { MASKINPORTEN_ISSUER: options.issuer } : {}) });
    } catch (err) {
      configError(err);
    }
  }
  const library = config?.portvakt;
  const issuer = library?.issuer ?? options.issuer!;
  explanation.against.issuer = issuer;
  const keys = await fetchKeys(issuer);
  if ('kids' in keys) keys.kidFound = keys.kids.includes(String(explanation.token?.header.kid));
  explanation.keys = keys;

  const recorder = library ? await startPdpRecorder(library.pdpUrl, library.pdpTimeoutMs) : undefined;
  if (library && operation) {
    explanation.against = { issuer, operation: operation.operationId, party: options.party!, pdpUrl: library.pdpUrl };
  }
  const audience = library?.audience ?? env.MASKINPORTEN_AUDIENCE;
  const portvakt = createPortvakt({
    ...library,
    issuer,
    ...(audience ? { audience } : {}),
    // Without an operation the pipeline stops at the scope, before any PDP call: this URL is never asked.
    pdpUrl: recorder?.url ?? 'http://127.0.0.1:9/unused',
  });
  try {
    const asked = operation ?? { scope: NO_SUCH_SCOPE, resource: 'none', action: 'none' };
    await portvakt.authorizeRequest({ authorization: `Bearer ${token}`, party: options.party }, asked);
    return undefined;
  } catch (err) {
    if (!isPortvaktError(err)) throw err;
    // Token checks only: reaching the scope check means the token itself passed.
    if (!operation && err.code === 'insufficient_scope') return undefined;
    return { check: CHECK_OF[err.code] ?? 'token', status: err.status, code: err.code, detail: err.detail };
  } finally {
    await recorder?.close();
    await portvakt.close();
    const exchange = recorder?.exchanges[0];
    if (exchange) explanation.pdp = exchange;
  }
}

function passDetail(
  check: CheckName,
  token: TokenDescription | undefined,
  options: ExplainOptions,
  keys: Explanation['keys'],
): string {
  switch (check) {
    case 'token':
      if (!keys) return 'readable and not expired; signature not checked (give --issuer)';
      return `signature valid (kid ${String(token?.header.kid)}${keys && 'jwksUri' in keys ? ` in ${keys.jwksUri}` : ''}), issuer and lifetime accepted`;
    case 'scope':
      return `has ${options.operation!.scope}`;
    case 'system user':
      return `${token?.systemUser?.id}, owned by org ${token?.systemUser?.orgNo}, system ${token?.systemUser?.systemId}`;
    case 'party':
      return `${options.party} is a valid organization number`;
    case 'decision':
      return `the PDP permits ${options.operation!.action} on ${options.operation!.resource} for ${options.party}`;
  }
}
