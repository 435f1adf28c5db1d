import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CryptoKey, importJWK, type JWK, type JWTPayload } from 'jose';
import { readBody, sendJson } from '../testing/http.js';

/** Digdir's admin scopes for the self-service API. */
export const DCR_WRITE = 'idporten:dcr.write';
export const DCR_READ = 'idporten:dcr.read';
/** Digdir keeps at most five keys on a client. */
const MAX_JWKS = 5;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A Maskinporten client as the sandbox keeps it: the registration, and its keys by kid. */
export interface RegisteredClient {
  clientId: string;
  /** The owning organisation (`consumer` in its tokens, `client_orgno` in the API). */
  orgNo: string;
  scopes: string[];
  keys: Map<string, CryptoKey>;
  /** The public keys as registered, for `GET /clients/{id}/jwks`. */
  jwks: JWK[];
  clientName?: string;
  description?: string;
  created?: string;
}

export interface SelfServiceOptions {
  clients: Map<string, RegisteredClient>;
  /** Verifies a token from this Maskinporten. */
  verifyAdminToken(token: string): Promise<JWTPayload>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/**
 * Digdir's self-service API for Maskinporten clients (`/clients`, `/clients/{id}`, `/clients/{id}/jwks`),
 * as a vendor's onboarding script calls it: a Maskinporten token with `idporten:dcr.write` (or `.read`)
 * whose `consumer` is the organisation that owns the clients. A client may be given the scopes its
 * organisation already has on another client (Digdir checks the organisation's access to each scope).
 */
export function createSelfService(options: SelfServiceOptions) {
  const { clients } = options;

  async function admin(req: IncomingMessage, scope: string): Promise<string> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new ApiError(401, 'invalid_token', `an admin token (Maskinporten, scope ${scope}) is required`);
    let claims: JWTPayload;
    try {
      claims = await options.verifyAdminToken(match[1]!);
    } catch {
      throw new ApiError(401, 'invalid_token', 'the token is not from this Maskinporten, or has expired');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    const readByWriter = scope === DCR_READ && scopes.includes(DCR_WRITE);
    if (!scopes.includes(scope) && !readByWriter)
      throw new ApiError(403, 'insufficient_scope', `scope ${scope} is required`);
    const consumer = (claims.consumer as { ID?: unknown } | undefined)?.ID;
    if (typeof consumer !== 'string' || !/^0192:\d{9}$/.test(consumer)) {
      throw new ApiError(403, 'access_denied', 'the token has no consumer organisation');
    }
    return consumer.slice(5);
  }

  function own(orgNo: string, clientId: string): RegisteredClient {
    const client = clients.get(clientId);
    // Another organisation's client is not found, as Digdir answers.
    if (!client || client.orgNo !== orgNo) throw new ApiError(404, 'not_found', `no client ${clientId}`);
    return client;
  }

  const view = (c: RegisteredClient) => ({
    client_id: c.clientId,
    client_name: c.clientName ?? c.clientId,
    description: c.description ?? '',
    client_orgno: c.orgNo,
    integration_type: 'maskinporten',
    application_type: 'web',
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: [JWT_BEARER],
    scopes: c.scopes,
    active: true,
    jwks_uri: null,
    created: c.created ?? null,
    last_updated: c.created ?? null,
  });

  async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
    try {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as unknown;
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {}
    throw new ApiError(400, 'invalid_request', 'the body must be a JSON object');
  }

  async function create(req: IncomingMessage) {
    const orgNo = await admin(req, DCR_WRITE);
    const body = await json(req);
    if (body.integration_type !== undefined && body.integration_type !== 'maskinporten') {
      throw new ApiError(400, 'invalid_client_metadata', 'integration_type must be maskinporten');
    }
    if (body.token_endpoint_auth_method !== undefined && body.token_endpoint_auth_method !== 'private_key_jwt') {
      throw new ApiError(400, 'invalid_client_metadata', 'token_endpoint_auth_method must be private_key_jwt');
    }
    const scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : [];
    const orgScopes = new Set([...clients.values()].filter((c) => c.orgNo === orgNo).flatMap((c) => c.scopes));
    const refused = scopes.filter((s) => !orgScopes.has(s));
    if (refused.length > 0) {
      throw new ApiError(
        400,
        'invalid_client_metadata',
        `organisation ${orgNo} has no access to: ${refused.join(' ')}`,
      );
    }
    const client: RegisteredClient = {
      clientId: randomUUID(),
      orgNo,
      scopes,
      keys: new Map(),
      jwks: [],
      clientName: typeof body.client_name === 'string' ? body.client_name : '',
      description: typeof body.description === 'string' ? body.description : '',
      created: new Date().toISOString(),
    };
    clients.set(client.clientId, client);
    return view(client);
  }

  /** Replaces the client's key set, as Digdir's `POST /clients/{id}/jwks` does. */
  async function putKeys(req: IncomingMessage, clientId: string) {
    const client = own(await admin(req, DCR_WRITE), clientId);
    const keys = (await json(req)).keys;
    if (!Array.isArray(keys) || keys.length === 0)
      throw new ApiError(400, 'invalid_request', 'body must be { keys: [JWK] }');
    if (keys.length > MAX_JWKS) throw new ApiError(400, 'invalid_request', `at most ${MAX_JWKS} keys`);
    const imported = new Map<string, CryptoKey>();
    const jwks: JWK[] = [];
    for (const jwk of keys as JWK[]) {
      if (jwk?.kty !== 'RSA' || typeof jwk.kid !== 'string' || jwk.kid === '' || 'd' in jwk) {
        throw new ApiError(400, 'invalid_request', 'each key must be a public RSA JWK with a kid');
      }
      try {
        imported.set(jwk.kid, (await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey);
      } catch {
        throw new ApiError(400, 'invalid_request', `key ${jwk.kid} is not a valid RSA key`);
      }
      jwks.push({ kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, alg: jwk.alg ?? 'RS256', use: 'sig' });
    }
    client.keys = imported;
    client.jwks = jwks;
    return { keys: jwks };
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      if (path === '/clients') {
        if (method === 'POST') return sendJson(res, 201, await create(req));
        if (method === 'GET') {
          const orgNo = await admin(req, DCR_READ);
          return sendJson(res, 200, [...clients.values()].filter((c) => c.orgNo === orgNo).map(view));
        }
      }
      const one = /^\/clients\/([^/]+)$/.exec(path);
      if (one && method === 'GET')
        return sendJson(res, 200, view(own(await admin(req, DCR_READ), decodeURIComponent(one[1]!))));
      const jwks = /^\/clients\/([^/]+)\/jwks$/.exec(path);
      if (jwks && method === 'POST') return sendJson(res, 201, await putKeys(req, decodeURIComponent(jwks[1]!)));
      if (jwks && method === 'GET') {
        return sendJson(res, 200, { keys: own(await admin(req, DCR_READ), decodeURIComponent(jwks[1]!)).jwks });
      }
      throw new ApiError(404, 'not_found', `no such endpoint: ${method} ${path}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      sendJson(res, err.status, { error: err.error, error_description: err.message });
    }
  }

  return { handle };
}
