import { readConsumerOrgNo, readSystemUser, type SystemUserClaim } from './system-user.js';

/**
 * Who is calling, read once from a verified token: what the pipeline checks on every request that presents
 * the token (scopes, system user) and what it hands to the handler. Frozen, since one caller serves every
 * request with the same token.
 */
export type Caller = Readonly<
  SystemUserClaim & {
    /** The token's scopes (the space-separated `scope` claim, RFC 6749 §3.3). */
    scopes: readonly string[];
    /** The vendor's organization number from the token's `consumer`, when present. */
    consumerOrgNo: string | undefined;
    /** The Maskinporten client id, when present. */
    clientId: string | undefined;
  }
>;

/** The space-separated `scope` claim as a list of scopes. */
const scopesOf = (scope: unknown): string[] =>
  typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [];

/** Turns verified claims (ours, or express-jwt's `req.auth`) into the caller. Never throws: a missing system user is data. */
export function callerOf(claims: Record<string, unknown>): Caller {
  const subject = readSystemUser(claims);
  if (subject.systemUser) Object.freeze(subject.systemUser);
  return Object.freeze({
    ...subject,
    scopes: Object.freeze(scopesOf(claims.scope)),
    consumerOrgNo: readConsumerOrgNo(claims),
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
  });
}
