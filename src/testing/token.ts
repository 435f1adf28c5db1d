import { randomUUID } from 'node:crypto';
import { mergeDeleting, systemUserIdFor, uuidFromSeed } from './jws.js';

/** Rør og Vann AS: the demo end user that owns a standard system user. */
export const DEFAULT_ORG = '310478717';
/** SmartCloud AS: the demo system vendor. */
export const DEFAULT_CONSUMER_ORG = '314330897';
export const DEFAULT_SYSTEM_ID = '314330897_smartregnskap';
export const DEFAULT_SCOPE = 'skatteetaten:kravogbetalinger';
/** Maskinporten gives access tokens a short life; 120 s is what the tt02 tokens carry. */
export const DEFAULT_EXPIRES_IN_SECONDS = 120;

const ISO6523 = 'iso6523-actorid-upis';

/**
 * Shapes a token like the ones Maskinporten issues to a system user. Every option is optional; the
 * defaults make a valid SmartRegnskap token for Rør og Vann AS.
 */
export interface TokenOptions {
  /** Organization number that owns the system user (`systemuser_org`). Default `'310478717'`. */
  org?: string;
  /** The system user's uuid (`systemuser_id[0]`). Default `systemUserIdFor(org)`. */
  systemUser?: string;
  /** The registered system (`system_id`). Default `'314330897_smartregnskap'`. */
  systemId?: string;
  /** The `scope` claim, space-separated; `null` leaves the claim out. Default `'skatteetaten:kravogbetalinger'`. */
  scope?: string | null;
  /** The vendor's organization number (`consumer.ID`). Default `'314330897'`. */
  consumerOrg?: string;
  /** `client_id`. Default a uuid derived from `consumerOrg` (Maskinporten client ids are uuids). */
  clientId?: string;
  /** The `aud` claim; left out by default, as Maskinporten does unless a resource was asked for. */
  audience?: string | string[];
  /** Lifetime in seconds: `exp = iat + expiresInSeconds`. Default 120. */
  expiresInSeconds?: number;
  /** `iat` in unix seconds. Default now (`Date.now()`, so fake timers move it). */
  issuedAt?: number;
  /** `nbf` in unix seconds; left out by default. */
  notBefore?: number;
  /** Overrides `iss`. Default the test issuer's own `issuer` URL. */
  issuer?: string;
  /** Merged over the finished payload; a value of `undefined` deletes the claim (e.g. `{ exp: undefined }`). */
  claims?: Record<string, unknown>;
  /** Merged over the header `{ alg, kid, typ }`; a value of `undefined` deletes it (e.g. `{ kid: undefined }`). */
  header?: Record<string, unknown>;
  /**
   * Replaces the whole `authorization_details` claim with any JSON (for malformed system users); an explicit
   * `undefined` leaves the claim out.
   */
  authorizationDetails?: unknown;
  /** Overrides the header `kid` (the token is still signed with the current key). */
  kid?: string;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The payload `token(options)` signs. */
export function buildPayload(iss: string, options: TokenOptions = {}): Record<string, unknown> {
  const org = options.org ?? DEFAULT_ORG;
  const consumerOrg = options.consumerOrg ?? DEFAULT_CONSUMER_ORG;
  const iat = options.issuedAt ?? nowSeconds();
  const payload: Record<string, unknown> = {
    iss: options.issuer ?? iss,
    ...(options.scope === null ? {} : { scope: options.scope ?? DEFAULT_SCOPE }),
    client_id: options.clientId ?? uuidFromSeed(`portvakt:client:${consumerOrg}`),
    client_amr: 'private_key_jwt',
    token_type: 'Bearer',
    ...(options.audience === undefined ? {} : { aud: options.audience }),
    iat,
    ...(options.notBefore === undefined ? {} : { nbf: options.notBefore }),
    exp: iat + (options.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS),
    jti: randomUUID(),
    consumer: { authority: ISO6523, ID: `0192:${consumerOrg}` },
    authorization_details:
      'authorizationDetails' in options
        ? options.authorizationDetails
        : [
            {
              type: 'urn:altinn:systemuser',
              systemuser_id: [options.systemUser ?? systemUserIdFor(org)],
              systemuser_org: { authority: ISO6523, ID: `0192:${org}` },
              system_id: options.systemId ?? DEFAULT_SYSTEM_ID,
            },
          ],
  };
  return mergeDeleting(payload, options.claims);
}

/** The JOSE header `token(options)` uses. */
export function buildHeader(kid: string, options: TokenOptions = {}): Record<string, unknown> {
  return mergeDeleting({ alg: 'RS256', kid: options.kid ?? kid, typ: 'JWT' }, options.header);
}

/** Issuer-wide defaults under per-call options; `claims` and `header` are merged, not replaced. */
export function withDefaults(defaults: TokenOptions, options: TokenOptions = {}): TokenOptions {
  return {
    ...defaults,
    ...options,
    claims: { ...defaults.claims, ...options.claims },
    header: { ...defaults.header, ...options.header },
  };
}
