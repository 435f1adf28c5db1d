import type { IncomingMessage } from 'node:http';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { Answer, bare, problem } from './http.js';

/** Scopes Altinn's authentication API asks for (altinn-authentication `AuthzConstants`). */
export const SCOPES = {
  registerWrite: 'altinn:authentication/systemregister.write',
  registerAdmin: 'altinn:authentication/systemregister.admin',
  requestRead: 'altinn:authentication/systemuser.request.read',
  requestWrite: 'altinn:authentication/systemuser.request.write',
} as const;

/** Who calls a vendor endpoint: the `consumer` org of its token, and the token's scopes. */
export interface Vendor {
  orgNo: string;
  scopes: string[];
  clientId: string | undefined;
}

export interface AuthOptions {
  altinnJwks: JWTVerifyGetKey;
  altinnIssuer(): string;
  verifyMaskinportenToken(token: string): Promise<JWTPayload>;
}

/** What Altinn does when the consumer org cannot be read: a problem (create endpoints) or a bare 401. */
export type MissingOrg = 'problem' | 'unauthorized' | 'forbid';

export function bearerToken(req: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  // ASP.NET's JwtBearer challenge: 401, empty body, WWW-Authenticate: Bearer.
  if (!match) throw bare(401, { 'www-authenticate': 'Bearer' });
  return match[1]!;
}

export const scopesOf = (claims: JWTPayload): string[] =>
  typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];

export function createAuth(options: AuthOptions) {
  async function verifyAltinnToken(token: string): Promise<JWTPayload> {
    return (await jwtVerify(token, options.altinnJwks, { issuer: options.altinnIssuer(), algorithms: ['RS256'] }))
      .payload;
  }

  /**
   * The calling vendor. Like Altinn's platform, an Altinn token from the exchange and a Maskinporten token
   * are both accepted. A missing scope is the policy's 403 (empty body, as ASP.NET's Forbid); the
   * WWW-Authenticate header names the scope, which the real API does not, to save a vendor a guess.
   */
  async function vendor(req: IncomingMessage, scope: string | string[], missingOrg: MissingOrg): Promise<Vendor> {
    const token = bearerToken(req);
    let claims: JWTPayload;
    try {
      claims = await verifyAltinnToken(token);
    } catch {
      try {
        claims = await options.verifyMaskinportenToken(token);
      } catch {
        throw bare(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
    }
    const scopes = scopesOf(claims);
    const wanted = Array.isArray(scope) ? scope : [scope];
    if (!wanted.some((s) => scopes.includes(s))) {
      throw bare(403, { 'www-authenticate': `Bearer error="insufficient_scope", scope="${wanted[0]}"` });
    }
    const consumer = (claims.consumer as { ID?: unknown } | undefined)?.ID;
    const orgNo = typeof consumer === 'string' && /^0192:\d{9}$/.test(consumer) ? consumer.slice(5) : '';
    if (!orgNo) {
      if (missingOrg === 'problem') throw problem(23);
      throw bare(missingOrg === 'forbid' ? 403 : 401);
    }
    return { orgNo, scopes, clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined };
  }

  /** Like the real PDP, only a PEP holding an Altinn token with the given scope may ask. */
  async function altinnCaller(req: IncomingMessage, scope: string): Promise<JWTPayload> {
    const token = bearerToken(req);
    let claims: JWTPayload;
    try {
      claims = await verifyAltinnToken(token);
    } catch {
      throw new Answer(401, {
        type: 'urn:altinn:error:AUTH-00401',
        title: 'Unauthorized',
        status: 401,
        detail: 'an Altinn token from the token exchange is required',
      });
    }
    if (!scopesOf(claims).includes(scope)) {
      throw new Answer(403, {
        type: 'urn:altinn:error:AUTH-00403',
        title: 'Forbidden',
        status: 403,
        detail: `scope ${scope} is required`,
      });
    }
    return claims;
  }

  return { vendor, altinnCaller };
}
export type Auth = ReturnType<typeof createAuth>;
