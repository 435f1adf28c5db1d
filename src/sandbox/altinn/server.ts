import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, type JWTPayload } from 'jose';
import { PEP_SCOPE } from '../../pdp/pep-credentials.js';
import { BodyTooLargeError, type LocalServer, readBody, send, sendJson, startLocalServer } from '../../testing/http.js';
import { compactRs256, type SigningKey, takeSigningKeyAsync } from '../../testing/jws.js';
import { PDP_PATH } from '../../testing/pdp.js';
import { decisionResponse, minimumAuthenticationLevel, parseDecisionRequest } from '../../testing/xacml.js';
import { bearerToken, createAuth } from './auth.js';
import { changeRequestRoutes } from './change-requests.js';
import { clientDelegationRoutes } from './client-delegation.js';
import { pageRoutes } from './console.js';
import { Answer, type Reply, type Route } from './http.js';
import type { AltinnRecords } from './records.js';
import { requestRoutes } from './requests.js';
import { systemRegisterRoutes } from './system-register.js';
import { systemUserRoutes } from './system-users.js';
import { AUTH, type World } from './world.js';

/** The scope a PEP needs to call the PDP: the one Portvakt's own PEP credentials ask for. */
export { PEP_SCOPE as PDP_SCOPE } from '../../pdp/pep-credentials.js';

/** Altinn tokens from the exchange live 30 minutes, as the real ones. */
const ALTINN_TOKEN_SECONDS = 30 * 60;

export interface SandboxAltinnOptions {
  port: number;
  records: AltinnRecords;
  /** Verifies a Maskinporten access token (the sandbox Maskinporten's, in-process). */
  verifyMaskinportenToken(token: string): Promise<JWTPayload>;
  /** Let vendors register `http://localhost…` redirect URLs (the real API takes https only). Default false. */
  allowHttpLoopbackRedirects?: boolean;
}

export interface SandboxAltinn {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  readonly pdpUrl: string;
  readonly tokenExchangeUrl: string;
  /** The sandbox console: systems, system users, requests, client delegations, recent decisions. */
  readonly consoleUrl: string;
  close(): Promise<void>;
}

/**
 * A local Altinn: token exchange, system register, system user requests with the end user's approval
 * pages, system users, client delegation, a PDP deciding from those records, and a console showing it all.
 * Routes, shapes, status codes and problem codes follow altinn-authentication's controllers; each concern
 * lives in its own module.
 */
export async function startSandboxAltinn(options: SandboxAltinnOptions): Promise<SandboxAltinn> {
  const { records } = options;
  const altinnKey: SigningKey = await takeSigningKeyAsync();
  const altinnJwks = createLocalJWKSet({ keys: [{ ...altinnKey.jwk }] });
  let origin = '';
  const altinnIssuer = () => `${origin}${AUTH}/openid/`;
  const auth = createAuth({
    altinnJwks,
    altinnIssuer,
    verifyMaskinportenToken: options.verifyMaskinportenToken,
  });
  const world: World = {
    records,
    auth,
    origin: () => origin,
    allowHttpLoopbackRedirects: options.allowHttpLoopbackRedirects ?? false,
  };

  const ownRoutes: Route[] = [
    { method: 'POST', path: new RegExp(`^${PDP_PATH}$`), handle: (call) => authorize(call.req) },
    {
      method: 'GET',
      path: new RegExp(`^${AUTH}/openid/\\.well-known/openid-configuration$`),
      handle: () => ({
        status: 200,
        body: { issuer: altinnIssuer(), jwks_uri: `${origin}${AUTH}/openid/.well-known/openid-configuration/jwks` },
      }),
    },
    {
      method: 'GET',
      path: new RegExp(`^${AUTH}/openid/\\.well-known/openid-configuration/jwks$`),
      handle: () => ({ status: 200, body: { keys: [{ ...altinnKey.jwk }] } }),
    },
    { method: 'GET', path: new RegExp(`^${AUTH}/exchange/maskinporten$`), handle: (call) => exchange(call.req) },
    // Sandbox only (for `portvakt contract-test`): how many requests the PDP received, and switching it down/up.
    { method: 'GET', path: /^\/sandbox\/pdp$/, handle: () => ({ status: 200, body: { ...pdpState } }) },
    { method: 'PUT', path: /^\/sandbox\/pdp$/, handle: (call) => setPdpMode(call.req) },
  ];
  // Order matters where paths overlap: requests and vendor lookups before /systemuser/{party}/{id}.
  // ASP.NET matches literal path segments case-insensitively (`/SystemUser/Request/Vendor`).
  const routes: Route[] = [
    ...ownRoutes,
    ...requestRoutes(world),
    ...changeRequestRoutes(world),
    ...systemRegisterRoutes(world),
    ...clientDelegationRoutes(world),
    ...systemUserRoutes(world),
    ...pageRoutes(world),
  ].map((route) => ({ ...route, path: new RegExp(route.path.source, 'i') }));

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // ASP.NET routes ignore a trailing slash and the path's case for literal segments.
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    try {
      const reply = await dispatch(method, path, url.searchParams, req);
      write(res, reply);
    } catch (err) {
      if (err instanceof Answer) return writeAnswer(res, err);
      if (err instanceof BodyTooLargeError) return send(res, 413, '');
      throw err;
    }
  };

  async function dispatch(method: string, path: string, query: URLSearchParams, req: IncomingMessage): Promise<Reply> {
    const allowed: string[] = [];
    for (const route of routes) {
      const match = route.path.exec(path);
      if (!match) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method);
        continue;
      }
      const params = match.slice(1).map((p) => decodeURIComponent(p ?? ''));
      return route.handle({ req, method, params, query });
    }
    if (allowed.length > 0) return { status: 405, headers: { allow: [...new Set(allowed)].join(', ') } };
    return { status: 404 };
  }

  async function exchange(req: IncomingMessage): Promise<Reply> {
    const token = bearerToken(req);
    let claims: JWTPayload;
    try {
      claims = await options.verifyMaskinportenToken(token);
    } catch {
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    }
    const now = Math.floor(Date.now() / 1000);
    const consumer = (claims.consumer as { ID?: string } | undefined)?.ID ?? '';
    const payload = {
      scope: claims.scope,
      token_type: 'Bearer',
      client_id: claims.client_id,
      consumer: claims.consumer,
      ...(claims.authorization_details ? { authorization_details: claims.authorization_details } : {}),
      'urn:altinn:orgNumber': consumer.replace(/^0192:/, ''),
      'urn:altinn:authenticatemethod': 'maskinporten',
      'urn:altinn:authlevel': 3,
      iss: altinnIssuer(),
      iat: now,
      nbf: now,
      exp: now + ALTINN_TOKEN_SECONDS,
      jti: randomUUID(),
    };
    const jwt = compactRs256({ alg: 'RS256', kid: altinnKey.kid, typ: 'JWT' }, payload, altinnKey.privateKey);
    return { status: 200, text: jwt };
  }

  /** `PUT { "mode": "down" }` makes the PDP answer 503 until `{ "mode": "up" }`. */
  const pdpState = { mode: 'up' as 'up' | 'down', calls: 0 };
  async function setPdpMode(req: IncomingMessage): Promise<Reply> {
    let body: { mode?: unknown } | undefined;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
    } catch {}
    if (body?.mode !== 'up' && body?.mode !== 'down') throw new Answer(400, { title: 'mode: up | down', status: 400 });
    pdpState.mode = body.mode;
    return { status: 200, body: { ...pdpState } };
  }

  async function authorize(req: IncomingMessage): Promise<Reply> {
    pdpState.calls += 1;
    if (pdpState.mode === 'down') {
      throw new Answer(503, { title: 'Service Unavailable', status: 503, detail: 'the PDP is down (sandbox)' });
    }
    await auth.altinnCaller(req, PEP_SCOPE);
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      throw new Answer(400, { title: 'The request body is not JSON', status: 400 });
    }
    const parsed = parseDecisionRequest(body);
    if (!parsed.ok) {
      throw new Answer(400, { title: 'One or more validation errors occurred.', status: 400, errors: parsed.errors });
    }
    const decision = records.decide(parsed.query);
    // A Maskinporten-authenticated system user has level 3; the obligation is what tt02 attaches to a Permit.
    const obligations = decision === 'Permit' ? [minimumAuthenticationLevel(3)] : undefined;
    return { status: 200, body: decisionResponse([{ decision, ...(obligations ? { obligations } : {}) }], 'camel') };
  }

  const server: LocalServer = await startLocalServer(handler, options.port);
  origin = server.origin;
  return {
    origin,
    pdpUrl: `${origin}${PDP_PATH}`,
    tokenExchangeUrl: `${origin}${AUTH}/exchange/maskinporten`,
    consoleUrl: `${origin}/console`,
    close: () => server.close(),
  };
}

function write(res: ServerResponse, reply: Reply): void {
  const headers = reply.headers ?? {};
  if (reply.html !== undefined) {
    send(res, reply.status, reply.html, { 'content-type': 'text/html; charset=utf-8', ...headers });
  } else if (reply.text !== undefined) {
    send(res, reply.status, reply.text, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  } else if (reply.body !== undefined) {
    sendJson(res, reply.status, reply.body, headers);
  } else {
    send(res, reply.status, '', headers);
  }
}

function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (answer.body === undefined) {
    send(res, answer.status, '', answer.headers);
    return;
  }
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  send(res, answer.status, text, { 'content-type': `${answer.contentType}; charset=utf-8`, ...answer.headers });
}
