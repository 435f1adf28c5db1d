import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { PEP_SCOPE } from '../../pdp/pep-credentials.js';
import { BodyTooLargeError, type LocalServer, readBody, send, sendJson, startLocalServer } from '../../testing/http.js';
import { compactRs256, type SigningKey, takeSigningKeyAsync } from '../../testing/jws.js';
import { PDP_PATH } from '../../testing/pdp.js';
import { decisionResponse, minimumAuthenticationLevel, parseDecisionRequest } from '../../testing/xacml.js';
import { notFoundPage, requestPage, resultPage } from './approval-page.js';
import {
  type AltinnRecords,
  ISO6523,
  type RequestRecord,
  type Right,
  type SystemRecord,
  type SystemUserType,
} from './records.js';

const AUTH = '/authentication/api/v1';
const UI = '/accessmanagement/ui/systemuser';

/** The scope a PEP needs to call the PDP: the one Portvakt's own PEP credentials ask for. */
export { PEP_SCOPE as PDP_SCOPE } from '../../pdp/pep-credentials.js';

/** Altinn tokens from the exchange live 30 minutes, as the real ones. */
const ALTINN_TOKEN_SECONDS = 30 * 60;
const SCOPE_REQUEST_READ = 'altinn:authentication/systemuser.request.read';
const SCOPE_REQUEST_WRITE = 'altinn:authentication/systemuser.request.write';
const SCOPE_REGISTER_WRITE = 'altinn:authentication/systemregister.write';

export interface SandboxAltinnOptions {
  port: number;
  records: AltinnRecords;
  /** Verifies a Maskinporten access token (the sandbox Maskinporten's, in-process). */
  verifyMaskinportenToken(token: string): Promise<JWTPayload>;
}

export interface SandboxAltinn {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  readonly pdpUrl: string;
  readonly tokenExchangeUrl: string;
  close(): Promise<void>;
}

/** An answer that ends a request early: thrown by helpers, written by the router. */
class Answer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType = 'application/problem+json',
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const problem = (status: number, code: string, title: string, detail?: string) =>
  new Answer(status, {
    type: `urn:altinn:error:${code}`,
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
  });

interface ValidationError {
  code: string;
  title: string;
  paths: string[];
}
const validation = (errors: ValidationError[]) =>
  new Answer(400, {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    code: 'STD-00000',
    validationErrors: errors,
  });

interface Vendor {
  orgNo: string;
  scopes: string[];
}

/**
 * A local Altinn: token exchange, system register, system user requests with the end user's approval
 * page, system users, client delegation, revocation, and a PDP deciding from those records. Shapes follow
 * the public tt02 APIs (contract §9a). End-user endpoints (approval, revocation, clients) take no login:
 * on loopback, whoever runs the sandbox is every end user.
 */
export async function startSandboxAltinn(options: SandboxAltinnOptions): Promise<SandboxAltinn> {
  const { records } = options;
  const altinnKey: SigningKey = await takeSigningKeyAsync();
  const altinnJwks = createLocalJWKSet({ keys: [{ ...altinnKey.jwk }] });
  let origin = '';
  const altinnIssuer = () => `${origin}${AUTH}/openid/`;

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    try {
      const reply = await dispatch(method, path, url.searchParams, req, res);
      if (reply?.html !== undefined) {
        send(res, reply.status, reply.html, { 'content-type': 'text/html; charset=utf-8', ...reply.headers });
      } else if (reply !== undefined) {
        sendJson(res, reply.status, reply.body, reply.headers);
      }
    } catch (err) {
      if (err instanceof Answer) {
        const body = JSON.stringify(err.body);
        return send(res, err.status, body, { 'content-type': `${err.contentType}; charset=utf-8`, ...err.headers });
      }
      if (err instanceof BodyTooLargeError) return send(res, 413, '');
      throw err;
    }
  };

  /** What to write; `undefined` when the handler wrote the response itself. */
  type Reply = { status: number; body?: unknown; html?: string; headers?: Record<string, string> } | undefined;

  async function dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<Reply> {
    let m: RegExpExecArray | null;
    if (path === PDP_PATH) return method === 'POST' ? authorize(req) : notAllowed('POST');
    if (path === '/sandbox/pdp') return pdpControl(method, req);

    if (path === `${AUTH}/openid/.well-known/openid-configuration`) {
      return ok({ issuer: altinnIssuer(), jwks_uri: `${origin}${AUTH}/openid/.well-known/openid-configuration/jwks` });
    }
    if (path === `${AUTH}/openid/.well-known/openid-configuration/jwks`) return ok({ keys: [{ ...altinnKey.jwk }] });
    if (path === `${AUTH}/exchange/maskinporten`) return method === 'GET' ? exchange(req, res) : notAllowed('GET');

    // System register
    if (path === `${AUTH}/systemregister/vendor`) {
      const vendor = await vendorOf(req, method === 'POST' ? SCOPE_REGISTER_WRITE : undefined);
      if (method === 'GET') return ok([...records.systems.values()].filter((s) => ownedBy(s, vendor) && !s.isDeleted));
      if (method === 'POST') return registerSystem(vendor, await jsonBody(req));
      return notAllowed('GET, POST');
    }
    m = /^\/authentication\/api\/v1\/systemregister\/vendor\/([^/]+)$/.exec(path);
    if (m) {
      const vendor = await vendorOf(req, method === 'GET' ? undefined : SCOPE_REGISTER_WRITE);
      const system = ownSystem(vendor, decodeURIComponent(m[1]!));
      if (method === 'GET') return ok(system);
      if (method === 'PUT') return updateSystem(vendor, system, await jsonBody(req));
      if (method === 'DELETE') {
        system.isDeleted = true;
        return ok(true);
      }
      return notAllowed('GET, PUT, DELETE');
    }

    // System user requests (vendor)
    if (path === `${AUTH}/systemuser/request/vendor` || path === `${AUTH}/systemuser/request/vendor/agent`) {
      if (method !== 'POST') return notAllowed('POST');
      const vendor = await vendorOf(req, SCOPE_REQUEST_WRITE);
      return createRequest(vendor, await jsonBody(req), path.endsWith('/agent') ? 'agent' : 'standard');
    }
    m = /^\/authentication\/api\/v1\/systemuser\/request\/vendor\/byexternalref\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'GET') return notAllowed('GET');
      const vendor = await vendorOf(req, SCOPE_REQUEST_READ);
      const [systemId, orgNo, externalRef] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
      ownSystem(vendor, systemId);
      const found = [...records.requests.values()].find(
        (r) => r.systemId === systemId && r.partyOrgNo === orgNo && r.externalRef === externalRef,
      );
      if (!found) throw problem(404, 'AUTH-00010', 'The request was not found');
      return ok(requestView(found));
    }
    m = /^\/authentication\/api\/v1\/systemuser\/request\/vendor(?:\/agent)?\/([^/]+)$/.exec(path);
    if (m) {
      const vendor = await vendorOf(req, method === 'DELETE' ? SCOPE_REQUEST_WRITE : SCOPE_REQUEST_READ);
      const request = records.requests.get(decodeURIComponent(m[1]!));
      if (!request || !ownedBy(records.systems.get(request.systemId), vendor)) {
        throw problem(404, 'AUTH-00010', 'The request was not found');
      }
      if (method === 'GET') return ok(requestView(request));
      if (method === 'DELETE') {
        records.requests.delete(request.id);
        return { status: 202, body: true };
      }
      return notAllowed('GET, DELETE');
    }

    // System users
    m = /^\/authentication\/api\/v1\/systemuser\/vendor\/bysystem\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'GET') return notAllowed('GET');
      const vendor = await vendorOf(req, SCOPE_REQUEST_READ);
      const system = ownSystem(vendor, decodeURIComponent(m[1]!));
      const data = [...records.systemUsers.values()].filter((u) => u.systemId === system.id && !u.isDeleted);
      return ok({ links: { next: null }, data: data.map(systemUserView) });
    }
    if (path === `${AUTH}/enduser/systemuser/clients`) return clients(method, query);
    m = /^\/authentication\/api\/v1\/systemuser\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      const [party, id] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!).toLowerCase()];
      if (method === 'GET') {
        const user = records.systemUsers.get(id);
        if (!user || user.isDeleted || user.partyOrgNo !== records.orgNoForParty(party)) {
          throw problem(404, 'AUTH-00008', 'The system user was not found');
        }
        return ok(systemUserView(user));
      }
      if (method !== 'DELETE') return notAllowed('GET, DELETE');
      if (!records.revoke(party, id)) throw problem(404, 'AUTH-00008', 'The system user was not found');
      return { status: 202, body: true };
    }
    // End-user-driven creation: the end user picks a system in the portal and creates its system user.
    m = /^\/authentication\/api\/v1\/systemuser\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'POST') return notAllowed('POST');
      return createByEndUser(decodeURIComponent(m[1]!), await jsonBody(req));
    }

    // The end user's approval page
    if (path === `${UI}/request` || path === `${UI}/agentrequest`) {
      if (method === 'GET') return approvalPage(query.get('id') ?? '', path);
      if (method === 'POST') return approve(req);
      return notAllowed('GET, POST');
    }
    throw problem(404, 'AUTH-00404', 'Not found', `no sandbox endpoint ${method} ${path}`);
  }

  const ok = (body: unknown): Reply => ({ status: 200, body });
  const notAllowed = (allow: string): never => {
    throw new Answer(
      405,
      { type: 'urn:altinn:error:AUTH-00405', title: 'Method not allowed', status: 405 },
      undefined,
      {
        allow,
      },
    );
  };

  async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = (await readBody(req)).toString('utf8');
    try {
      const body = JSON.parse(text) as unknown;
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {}
    throw validation([{ code: 'STD-00001', title: 'The body must be a JSON object', paths: ['$'] }]);
  }

  async function bearer(req: IncomingMessage): Promise<string> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw problem(401, 'AUTH-00401', 'Unauthorized', 'an Authorization: Bearer token is required');
    return match[1]!;
  }

  /** The calling vendor, from an Altinn token (or, leniently, a Maskinporten token) and its `consumer`. */
  async function vendorOf(req: IncomingMessage, scope: string | undefined): Promise<Vendor> {
    const token = await bearer(req);
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, altinnJwks, { issuer: altinnIssuer(), algorithms: ['RS256'] })).payload;
    } catch {
      try {
        claims = await options.verifyMaskinportenToken(token);
      } catch {
        throw problem(401, 'AUTH-00401', 'Unauthorized', 'the token is not a valid Altinn or Maskinporten token');
      }
    }
    const consumer = (claims.consumer as { ID?: unknown } | undefined)?.ID;
    const orgNo = typeof consumer === 'string' ? consumer.replace(/^0192:/, '') : '';
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!/^\d{9}$/.test(orgNo)) throw problem(403, 'AUTH-00403', 'Forbidden', 'the token has no consumer org');
    if (scope && !scopes.includes(scope)) throw problem(403, 'AUTH-00403', 'Forbidden', `scope ${scope} is required`);
    return { orgNo, scopes };
  }

  const ownedBy = (system: SystemRecord | undefined, vendor: Vendor) =>
    system !== undefined && system.vendor.ID.replace(/^0192:/, '') === vendor.orgNo;

  function ownSystem(vendor: Vendor, systemId: string): SystemRecord {
    const system = records.systems.get(systemId);
    if (!system || system.isDeleted) throw problem(404, 'AUTH-00011', 'The system was not found');
    if (!ownedBy(system, vendor)) throw problem(403, 'AUTH-00403', 'Forbidden', 'the system belongs to another vendor');
    return system;
  }

  async function exchange(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const token = await bearer(req);
    let claims: JWTPayload;
    try {
      claims = await options.verifyMaskinportenToken(token);
    } catch {
      throw problem(401, 'AUTH-00401', 'Unauthorized', 'not a valid token from the sandbox Maskinporten');
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
    send(res, 200, jwt, { 'content-type': 'text/plain; charset=utf-8' });
    return undefined;
  }

  /** Like the real PDP, only a PEP holding an Altinn token with `altinn:authorization/authorize` may ask. */
  async function requirePep(req: IncomingMessage): Promise<void> {
    const token = await bearer(req);
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, altinnJwks, { issuer: altinnIssuer(), algorithms: ['RS256'] })).payload;
    } catch {
      throw problem(401, 'AUTH-00401', 'Unauthorized', 'an Altinn token from the token exchange is required');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(PEP_SCOPE)) throw problem(403, 'AUTH-00403', 'Forbidden', `scope ${PEP_SCOPE} is required`);
  }

  /**
   * Sandbox only (for `portvakt contract-test`): `GET` says how many requests the PDP received; `PUT
   * { "mode": "down" }` makes it answer 503 until `{ "mode": "up" }`.
   */
  const pdpState = { mode: 'up' as 'up' | 'down', calls: 0 };
  async function pdpControl(method: string, req: IncomingMessage): Promise<Reply> {
    if (method === 'PUT') {
      let body: { mode?: unknown } | undefined;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
      } catch {}
      if (body?.mode !== 'up' && body?.mode !== 'down')
        throw new Answer(400, { title: 'mode: up | down', status: 400 });
      pdpState.mode = body.mode;
    } else if (method !== 'GET') return notAllowed('GET, PUT');
    return ok({ ...pdpState });
  }

  async function authorize(req: IncomingMessage): Promise<Reply> {
    pdpState.calls += 1;
    if (pdpState.mode === 'down') throw problem(503, 'AUTH-00503', 'Service Unavailable', 'the PDP is down (sandbox)');
    await requirePep(req);
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      throw new Answer(400, { title: 'The request body is not JSON', status: 400 });
    }
    const parsed = parseDecisionRequest(body);
    if (!parsed.ok)
      throw new Answer(400, { title: 'One or more validation errors occurred.', status: 400, errors: parsed.errors });
    const decision = records.decide(parsed.query);
    // A Maskinporten-authenticated system user has level 3; the obligation is what tt02 attaches to a Permit.
    const obligations = decision === 'Permit' ? [minimumAuthenticationLevel(3)] : undefined;
    return ok(decisionResponse([{ decision, ...(obligations ? { obligations } : {}) }], 'camel'));
  }

  function parseRights(value: unknown, path: string, errors: ValidationError[]): Right[] | undefined {
    if (value === undefined || value === null) return undefined;
    const valid =
      Array.isArray(value) &&
      value.every(
        (r) =>
          Array.isArray(r?.resource) &&
          r.resource.every(
            (a: unknown) =>
              typeof (a as { id?: unknown })?.id === 'string' && typeof (a as { value?: unknown })?.value === 'string',
          ),
      );
    if (!valid) {
      errors.push({ code: 'AUTH.VLD-00003', title: 'rights must be [{ resource: [{ id, value }] }]', paths: [path] });
      return undefined;
    }
    return (value as Right[]).map((r) => ({ resource: r.resource.map(({ id, value: v }) => ({ id, value: v })) }));
  }

  function systemBody(vendor: Vendor, body: Record<string, unknown>, existing?: SystemRecord): SystemRecord {
    const errors: ValidationError[] = [];
    const id = existing?.id ?? body.id;
    if (typeof id !== 'string' || !new RegExp(`^${vendor.orgNo}_[A-Za-z0-9_-]+$`).test(id)) {
      errors.push({ code: 'AUTH.VLD-00010', title: 'id must be <vendor orgno>_<name>', paths: ['$.id'] });
    }
    const rights = parseRights(body.rights, '$.rights', errors) ?? [];
    const clientId = body.clientId;
    if (!Array.isArray(clientId) || clientId.some((c) => typeof c !== 'string')) {
      errors.push({ code: 'AUTH.VLD-00012', title: 'clientId must be a list of client ids', paths: ['$.clientId'] });
    }
    if (errors.length > 0) throw validation(errors);
    const text = (v: unknown) =>
      typeof v === 'object' && v !== null ? (v as Record<string, string>) : { nb: String(v ?? id) };
    return {
      id: id as string,
      vendor: { authority: ISO6523, ID: `0192:${vendor.orgNo}` },
      name: text(body.name),
      description: text(body.description),
      rights,
      accessPackages: Array.isArray(body.accessPackages) ? body.accessPackages : [],
      clientId: clientId as string[],
      isVisible: body.isVisible !== false,
      allowedRedirectUrls: Array.isArray(body.allowedRedirectUrls) ? body.allowedRedirectUrls.map(String) : [],
      isDeleted: false,
    };
  }

  function registerSystem(vendor: Vendor, body: Record<string, unknown>): Reply {
    const system = systemBody(vendor, body);
    if (records.systems.get(system.id)?.isDeleted === false) {
      throw problem(400, 'AUTH-00012', 'The system id already exists');
    }
    records.systems.set(system.id, system);
    return ok(system.id);
  }

  function updateSystem(vendor: Vendor, existing: SystemRecord, body: Record<string, unknown>): Reply {
    records.systems.set(existing.id, systemBody(vendor, body, existing));
    return ok(true);
  }

  /** Loopback pages may use any port: a vendor's local app runs wherever it likes. */
  function redirectAllowed(system: SystemRecord, redirectUrl: string): boolean {
    if (!URL.canParse(redirectUrl)) return false;
    const target = new URL(redirectUrl);
    return system.allowedRedirectUrls.some((allowed) => {
      if (!URL.canParse(allowed)) return false;
      const base = new URL(allowed);
      const loopback = ['localhost', '127.0.0.1'].includes(base.hostname);
      const sameHost = loopback ? base.hostname === target.hostname : base.host === target.host;
      return base.protocol === target.protocol && sameHost && target.pathname.startsWith(base.pathname);
    });
  }

  function createRequest(vendor: Vendor, body: Record<string, unknown>, userType: SystemUserType): Reply {
    const errors: ValidationError[] = [];
    const { systemId, partyOrgNo, redirectUrl } = body;
    const system = typeof systemId === 'string' ? records.systems.get(systemId) : undefined;
    if (!system || system.isDeleted) {
      errors.push({ code: 'AUTH.VLD-00011', title: 'systemId is not a registered system', paths: ['$.systemId'] });
    }
    if (typeof partyOrgNo !== 'string' || !/^\d{9}$/.test(partyOrgNo)) {
      errors.push({
        code: 'AUTH.VLD-00001',
        title: 'partyOrgNo must be an organization number of 9 digits',
        paths: ['$.partyOrgNo'],
      });
    }
    const rights = parseRights(body.rights, '$.rights', errors);
    if (system && rights) {
      const allowed = new Set(system.rights.flatMap((r) => r.resource.map((a) => `${a.id}=${a.value}`)));
      if (rights.some((r) => r.resource.some((a) => !allowed.has(`${a.id}=${a.value}`)))) {
        errors.push({ code: 'AUTH.VLD-00013', title: "rights must be among the system's rights", paths: ['$.rights'] });
      }
    }
    if (redirectUrl !== undefined && redirectUrl !== null && redirectUrl !== '') {
      if (typeof redirectUrl !== 'string' || !system || !redirectAllowed(system, redirectUrl)) {
        errors.push({
          code: 'AUTH.VLD-00004',
          title: "redirectUrl must be under one of the system's allowedRedirectUrls",
          paths: ['$.redirectUrl'],
        });
      }
    }
    if (errors.length > 0) throw validation(errors);
    if (!ownedBy(system, vendor)) throw problem(403, 'AUTH-00403', 'Forbidden', 'the system belongs to another vendor');
    const orgNo = partyOrgNo as string;
    const externalRef = typeof body.externalRef === 'string' && body.externalRef !== '' ? body.externalRef : orgNo;

    const existing = [...records.requests.values()].find(
      (r) =>
        r.systemId === system!.id &&
        r.partyOrgNo === orgNo &&
        r.externalRef === externalRef &&
        // An accepted request whose system user was since revoked no longer blocks a new one.
        (r.status !== 'Accepted' || records.systemUsers.get(r.systemUserId ?? '')?.isDeleted === false),
    );
    if (existing) return ok(requestView(existing));
    if (records.systemUserFor(system!.id, orgNo, externalRef)) {
      throw problem(400, 'AUTH-00004', 'The system user already exists', `for ${system!.id}, ${orgNo}, ${externalRef}`);
    }
    const request: RequestRecord = {
      id: randomUUID(),
      externalRef,
      systemId: system!.id,
      partyOrgNo: orgNo,
      rights: userType === 'agent' ? [] : (rights ?? system!.rights),
      accessPackages: Array.isArray(body.accessPackages) ? body.accessPackages : [],
      status: 'New',
      redirectUrl: typeof redirectUrl === 'string' && redirectUrl !== '' ? redirectUrl : null,
      created: new Date().toISOString(),
      userType,
    };
    records.requests.set(request.id, request);
    const view = requestView(request);
    const location = `${origin}${AUTH}/systemuser/request/vendor${userType === 'agent' ? '/agent' : ''}/${request.id}`;
    return { status: 201, body: view, headers: { location } };
  }

  function requestView(request: RequestRecord) {
    const page = request.userType === 'agent' ? 'agentrequest' : 'request';
    return {
      id: request.id,
      externalRef: request.externalRef,
      systemId: request.systemId,
      partyOrgNo: request.partyOrgNo,
      ...(request.userType === 'agent' ? { accessPackages: request.accessPackages } : { rights: request.rights }),
      status: request.status,
      redirectUrl: request.redirectUrl,
      confirmUrl: `${origin}${UI}/${page}?id=${request.id}`,
      created: request.created,
    };
  }

  function systemUserView(user: ReturnType<AltinnRecords['createSystemUser']>) {
    return {
      id: user.id,
      integrationTitle: user.integrationTitle,
      systemId: user.systemId,
      productName: user.systemId,
      partyId: user.partyId,
      reporteeOrgNo: user.partyOrgNo,
      created: user.created,
      isDeleted: user.isDeleted,
      supplierName: user.supplierName,
      supplierOrgno: user.supplierOrgno,
      externalRef: user.externalRef,
      userType: user.userType === 'agent' ? 'Agent' : 'Standard',
      accessPackages: user.accessPackages,
    };
  }

  /** `{ systemId, integrationTitle? }` for the party (org number or party id): 201 with the system user. */
  function createByEndUser(party: string, body: Record<string, unknown>): Reply {
    const orgNo = records.orgNoForParty(party) ?? party;
    const errors: ValidationError[] = [];
    if (!/^\d{9}$/.test(orgNo))
      errors.push({ code: 'AUTH.VLD-00002', title: 'party must be an organization number', paths: ['party'] });
    const systemId = typeof body.systemId === 'string' ? body.systemId : '';
    const system = records.systems.get(systemId);
    if (!system || system.isDeleted)
      errors.push({ code: 'AUTH.VLD-00003', title: 'unknown systemId', paths: ['$.systemId'] });
    if (errors.length > 0) throw validation(errors);
    if (records.systemUserFor(systemId, orgNo, orgNo)) {
      throw problem(400, 'AUTH-00004', 'The system user already exists');
    }
    const user = records.createSystemUser({ systemId, partyOrgNo: orgNo, externalRef: orgNo, userType: 'standard' });
    if (typeof body.integrationTitle === 'string' && body.integrationTitle.trim() !== '') {
      user.integrationTitle = body.integrationTitle.trim();
    }
    return { status: 201, body: systemUserView(user) };
  }

  function clients(method: string, query: URLSearchParams): Reply {
    const agentId = (query.get('agent') ?? '').toLowerCase();
    const agent = records.systemUsers.get(agentId);
    if (!agent || agent.isDeleted || agent.userType !== 'agent') {
      throw problem(404, 'AUTH-00008', 'The agent system user was not found');
    }
    const set = records.clients.get(agent.id) ?? new Set<string>();
    records.clients.set(agent.id, set);
    if (method === 'GET') {
      return ok({ links: { next: null }, data: [...set].map((orgNo) => ({ clientOrganizationNumber: orgNo })) });
    }
    const client = query.get('client') ?? '';
    if (!/^\d{9}$/.test(client)) {
      throw validation([{ code: 'AUTH.VLD-00001', title: 'client must be an organization number', paths: ['client'] }]);
    }
    if (method === 'POST') set.add(client);
    else if (method === 'DELETE') set.delete(client);
    else return notAllowed('GET, POST, DELETE');
    return ok(true);
  }

  function approvalPage(id: string, path: string): Reply {
    const request = records.requests.get(id);
    if (!request) return { status: 404, html: notFoundPage() };
    return { status: 200, html: requestPage(request, records.systems.get(request.systemId), path) };
  }

  async function approve(req: IncomingMessage): Promise<Reply> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const request = records.requests.get(form.get('id') ?? '');
    if (!request) return { status: 404, html: notFoundPage() };
    if (request.status === 'New') {
      if (form.get('action') === 'approve') {
        if (records.systemUserFor(request.systemId, request.partyOrgNo, request.externalRef)) {
          return { status: 409, html: resultPage(request) };
        }
        records.accept(request.id);
      } else if (form.get('action') === 'reject') {
        records.reject(request.id);
      }
    }
    if (request.redirectUrl && request.status !== 'New') {
      return { status: 303, html: '', headers: { location: request.redirectUrl } };
    }
    return { status: 200, html: resultPage(request) };
  }

  const server: LocalServer = await startLocalServer(route, options.port);
  origin = server.origin;
  return {
    origin,
    pdpUrl: `${origin}${PDP_PATH}`,
    tokenExchangeUrl: `${origin}${AUTH}/exchange/maskinporten`,
    close: () => server.close(),
  };
}
