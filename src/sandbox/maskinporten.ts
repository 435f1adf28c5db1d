import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CryptoKey,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { z } from 'zod';
import { BodyTooLargeError, type LocalServer, readBody, sendJson, startLocalServer } from '../testing/http.js';
import { compactRs256, type SigningKey, takeSigningKeyAsync } from '../testing/jws.js';
import { buildHeader, buildPayload } from '../testing/token.js';
import { createSelfService, type RegisteredClient } from './maskinporten-clients.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const SYSTEMUSER_TYPE = 'urn:altinn:systemuser';
const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
/** Maskinporten's rules for the grant: `iat` within ±10 s of its clock, at most 120 s of life. */
const IAT_SKEW_SECONDS = 10;
const MAX_ASSERTION_LIFE_SECONDS = 120;
/** Keys a client may have registered at once; the oldest goes first (each `portvakt token` adds one). */
const MAX_KEYS_PER_CLIENT = 20;

/** A Maskinporten client (an "integration"): who owns it and what it may ask for. */
export interface SandboxClient {
  clientId: string;
  /** The owning organization (`consumer` in its tokens). */
  orgNo: string;
  scopes: string[];
}

/** Maskinporten's question to Altinn, answered in-process. */
export type SystemUserResolver = (lookup: {
  clientId: string;
  orgNo: string;
  externalRef?: string | undefined;
}) => { systemUserId: string; systemId: string } | undefined;

export interface SandboxMaskinportenOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  clients: SandboxClient[];
  resolveSystemUser: SystemUserResolver;
  /** Access token life in seconds. */
  accessTokenLifetimeSeconds: number;
}

export interface SandboxMaskinporten {
  /** `http://127.0.0.1:<port>/`: the `iss` of its tokens and the `aud` it wants in grants. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  /** Verifies an access token this Maskinporten issued (Altinn's token exchange uses it). */
  verifyAccessToken(token: string): Promise<JWTPayload>;
  close(): Promise<void>;
}

class GrantError extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const authorizationDetailsSchema = z
  .array(
    z.object({
      type: z.literal(SYSTEMUSER_TYPE),
      systemuser_org: z
        .object({ authority: z.string().optional(), ID: z.string().optional(), id: z.string().optional() })
        .transform((org) => org.ID ?? org.id)
        .pipe(z.string().regex(/^0192:\d{9}$/, 'systemuser_org.ID must be 0192:<orgno>')),
      externalRef: z.string().min(1).optional(),
    }),
  )
  .length(1, 'exactly one urn:altinn:systemuser entry (one org per grant)');

/**
 * A local Maskinporten: metadata, JWKS, the JWT-bearer grant with system users, and a self-service
 * endpoint to register client keys. Keys are made at start and live in memory only, so `portvakt serve`
 * can never pick them up.
 */
export async function startSandboxMaskinporten(options: SandboxMaskinportenOptions): Promise<SandboxMaskinporten> {
  const signingKey: SigningKey = await takeSigningKeyAsync();
  const clients = new Map<string, RegisteredClient>(
    options.clients.map((c) => [c.clientId, { ...c, keys: new Map<string, CryptoKey>(), jwks: [] }]),
  );
  /** jti → unix seconds when it may be forgotten (after the assertion could have expired anyway). */
  const seenJtis = new Map<string, number>();
  const localJwks = createLocalJWKSet({ keys: [{ ...signingKey.jwk }] });

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, metadata());
    }
    if (path === '/jwks') return sendJson(res, 200, { keys: [{ ...signingKey.jwk }] });
    if (path === '/token') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
      return token(req, res);
    }
    if (path === '/sandbox/reissue' && req.method === 'POST') return reissue(req, res);
    // The sandbox's bootstrap (the stand-in for a person adding a key in Samarbeidsportalen): loopback only, no token.
    const keyPath = /^\/clients\/([^/]+)\/keys$/.exec(path);
    if (keyPath && req.method === 'POST') return registerKey(decodeURIComponent(keyPath[1]!), req, res);
    // Digdir's self-service API, with an admin token (scope idporten:dcr.write / idporten:dcr.read).
    if (path.startsWith('/clients')) return selfService.handle(path, req, res);
    return sendJson(res, 404, { error: 'not_found', error_description: `no such endpoint: ${path}` });
  };

  const selfService = createSelfService({
    clients,
    verifyAdminToken: async (token) => (await jwtVerify(token, localJwks, { issuer, algorithms: ['RS256'] })).payload,
  });
  const server: LocalServer = await startLocalServer(route, options.port);
  const issuer = `${server.origin}/`;
  const metadata = () => ({
    issuer,
    token_endpoint: `${server.origin}/token`,
    jwks_uri: `${server.origin}/jwks`,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    grant_types_supported: [JWT_BEARER],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    authorization_details_types_supported: [SYSTEMUSER_TYPE],
  });

  async function registerKey(clientId: string, req: IncomingMessage, res: ServerResponse) {
    // Self-service stand-in: only a process on this machine may add keys (the server listens on loopback only).
    const client = clients.get(clientId);
    if (!client) return sendJson(res, 404, { error: 'not_found', error_description: `unknown client ${clientId}` });
    // Only the seeded clients: a client made through /clients gets its keys through /clients/{id}/jwks, as in Digdir's API.
    if (client.created !== undefined) {
      return sendJson(res, 403, {
        error: 'access_denied',
        error_description: `register keys for ${clientId} with POST /clients/${clientId}/jwks and an admin token`,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be a JWK or a JWKS' });
    }
    const jwks = (body as { keys?: unknown }).keys;
    const list = (Array.isArray(jwks) ? jwks : [body]) as JWK[];
    const added: string[] = [];
    for (const jwk of list) {
      if (jwk?.kty !== 'RSA' || typeof jwk.kid !== 'string' || jwk.kid === '' || 'd' in jwk) {
        return sendJson(res, 400, {
          error: 'invalid_request',
          error_description: 'each key must be a public RSA JWK with a kid',
        });
      }
      try {
        client.keys.set(jwk.kid, (await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey);
        client.jwks.push({ kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, alg: 'RS256', use: 'sig' });
      } catch {
        return sendJson(res, 400, {
          error: 'invalid_request',
          error_description: `key ${jwk.kid} is not a valid RSA key`,
        });
      }
      added.push(jwk.kid);
    }
    while (client.keys.size > MAX_KEYS_PER_CLIENT) client.keys.delete(client.keys.keys().next().value!);
    client.jwks.splice(0, Math.max(0, client.jwks.length - MAX_KEYS_PER_CLIENT));
    return sendJson(res, 201, { client_id: clientId, kids: added });
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req)).toString('utf8'));
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'invalid_request' });
      throw err;
    }
    try {
      if (form.get('grant_type') !== JWT_BEARER) {
        throw new GrantError('unsupported_grant_type', `grant_type must be ${JWT_BEARER}`);
      }
      const assertion = form.get('assertion');
      if (!assertion) throw new GrantError('invalid_request', 'assertion is missing');
      sendJson(res, 200, await grant(assertion), { 'cache-control': 'no-store' });
    } catch (err) {
      if (!(err instanceof GrantError)) throw err;
      sendJson(res, 400, { error: err.error, error_description: err.message }, { 'cache-control': 'no-store' });
    }
  }

  async function grant(assertion: string) {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      unverified = decodeJwt(assertion);
    } catch {
      throw new GrantError('invalid_grant', 'assertion is not a JWT');
    }
    if (!ASSERTION_ALGORITHMS.includes(String(header.alg))) {
      throw new GrantError('invalid_grant', `alg must be one of ${ASSERTION_ALGORITHMS.join(', ')}`);
    }
    const client = typeof unverified.iss === 'string' ? clients.get(unverified.iss) : undefined;
    if (!client) throw new GrantError('invalid_client', 'iss is not a known client id');
    const key = header.kid === undefined ? undefined : client.keys.get(header.kid);
    if (!key) throw new GrantError('invalid_grant', 'kid is not a registered key of this client');

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(assertion, key, {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: client.clientId,
        audience: issuer,
        requiredClaims: ['iat', 'exp', 'jti'],
        clockTolerance: IAT_SKEW_SECONDS,
      }));
    } catch (err) {
      throw new GrantError('invalid_grant', `invalid assertion: ${err instanceof Error ? err.message : String(err)}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (Math.abs(iat - now) > IAT_SKEW_SECONDS) throw new GrantError('invalid_grant', 'iat must be within 10 s of now');
    if (exp - iat > MAX_ASSERTION_LIFE_SECONDS)
      throw new GrantError('invalid_grant', 'exp - iat must be at most 120 s');
    forgetOldJtis(now);
    const jtiKey = `${client.clientId} ${String(claims.jti)}`;
    if (seenJtis.has(jtiKey)) throw new GrantError('invalid_grant', 'jti has been used before');
    seenJtis.set(jtiKey, exp + IAT_SKEW_SECONDS);

    const scope = typeof claims.scope === 'string' ? claims.scope.trim() : '';
    const scopes = scope.split(/\s+/).filter(Boolean);
    if (scopes.length === 0) throw new GrantError('invalid_scope', 'scope is missing');
    const refused = scopes.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0) throw new GrantError('invalid_scope', `client may not ask for: ${refused.join(' ')}`);

    let systemUser: { orgNo: string; systemUserId: string; systemId: string } | undefined;
    if (claims.authorization_details !== undefined) {
      const parsed = authorizationDetailsSchema.safeParse(claims.authorization_details);
      if (!parsed.success) {
        throw new GrantError('invalid_authorization_details', parsed.error.issues[0]?.message ?? 'malformed');
      }
      const detail = parsed.data[0]!;
      const orgNo = detail.systemuser_org.slice('0192:'.length);
      const found = options.resolveSystemUser({ clientId: client.clientId, orgNo, externalRef: detail.externalRef });
      if (!found) {
        throw new GrantError(
          'invalid_altinn_customer_configuration',
          `no accepted system user for org ${orgNo}${detail.externalRef ? ` and externalRef ${detail.externalRef}` : ''} ` +
            'of a system this client belongs to',
        );
      }
      systemUser = { orgNo, ...found };
    }

    const lifetime = options.accessTokenLifetimeSeconds;
    const payload = buildPayload(issuer, {
      scope: scopes.join(' '),
      consumerOrg: client.orgNo,
      clientId: client.clientId,
      expiresInSeconds: lifetime,
      ...(systemUser
        ? { org: systemUser.orgNo, systemUser: systemUser.systemUserId, systemId: systemUser.systemId }
        : { authorizationDetails: undefined }),
    });
    const accessToken = compactRs256(buildHeader(signingKey.kid), payload, signingKey.privateKey);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, scope: scopes.join(' ') };
  }

  /**
   * Sandbox only (for `portvakt contract-test`): a token this Maskinporten issued, signed again with one
   * defect a resource server must refuse: `expired` (exp ten minutes ago) or `other-issuer` (another `iss`).
   */
  async function reissue(req: IncomingMessage, res: ServerResponse) {
    let body: { token?: unknown; change?: unknown };
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(String(body.token), localJwks, { issuer, algorithms: ['RS256'] }));
    } catch {
      return sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'token must be one this sandbox issued',
      });
    }
    const now = Math.floor(Date.now() / 1000);
    const changes: Record<string, JWTPayload> = {
      expired: { iat: now - 900, exp: now - 600 },
      'other-issuer': { iss: 'https://other-issuer.invalid/' },
    };
    const change = changes[String(body.change)];
    if (!change)
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'change: expired | other-issuer' });
    const accessToken = compactRs256(buildHeader(signingKey.kid), { ...claims, ...change }, signingKey.privateKey);
    return sendJson(res, 200, { access_token: accessToken }, { 'cache-control': 'no-store' });
  }

  function forgetOldJtis(now: number) {
    for (const [jti, until] of seenJtis) if (until < now) seenJtis.delete(jti);
  }

  return {
    issuer,
    tokenEndpoint: `${server.origin}/token`,
    jwksUri: `${server.origin}/jwks`,
    async verifyAccessToken(accessToken) {
      const { payload } = await jwtVerify(accessToken, localJwks, { issuer, algorithms: ['RS256'] });
      return payload;
    },
    close: () => server.close(),
  };
}
