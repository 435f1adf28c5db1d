import { randomUUID } from 'node:crypto';
import { SCOPES, type Vendor } from './auth.js';
import {
  ACCESS_PACKAGE_SHAPE,
  asString,
  type Call,
  jsonBody,
  modelStateProblem,
  ok,
  problem,
  type Reply,
  RIGHT_SHAPE,
  type Route,
  type Shape,
} from './http.js';
import type { AccessPackageRef, RequestRecord, SystemRecord, SystemUserType } from './records.js';
import { packagesOf, rightsOf } from './system-register.js';
import { AUTH, LOOPBACK_HOSTS, UI, type World } from './world.js';

/** `CreateRequestSystemUser` / `CreateAgentRequestSystemUser`, bound in any casing. */
const REQUEST_SHAPE: Shape = {
  integrationTitle: true,
  externalRef: true,
  systemId: true,
  partyOrgNo: true,
  rights: [RIGHT_SHAPE],
  accessPackages: [ACCESS_PACKAGE_SHAPE],
  redirectUrl: true,
};

/**
 * Vendor-driven system user requests (altinn-authentication `RequestSystemUserController` and
 * `RequestSystemUserService`): create, read, list and delete, standard and agent.
 */
export function requestRoutes(world: World): Route[] {
  const { records, auth } = world;
  const V = `${AUTH}/systemuser/request/vendor`;
  const seg = '([^/]+)';
  const reader = (call: Call) => auth.vendor(call.req, SCOPES.requestRead, 'unauthorized');
  const writer = (call: Call) => auth.vendor(call.req, SCOPES.requestWrite, 'problem');
  const { ownSystem, checkRedirect, checkRights, checkPackages } = requestChecks(world);
  const findByExternalRef = (systemId: string, orgNo: string, externalRef: string, userType?: SystemUserType) =>
    [...records.requests.values()].find(
      (r) =>
        r.systemId === systemId &&
        r.partyOrgNo === orgNo &&
        r.externalRef === externalRef &&
        (userType === undefined || r.userType === userType),
    );

  return [
    {
      method: 'POST',
      path: new RegExp(`^${V}$`),
      handle: async (call) => create(await writer(call), call, 'standard'),
    },
    {
      method: 'POST',
      path: new RegExp(`^${V}/agent$`),
      handle: async (call) => create(await writer(call), call, 'agent'),
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/byexternalref/${seg}/${seg}/${seg}$`),
      handle: async (call) => byExternalRef(await reader(call), call.params, 'standard'),
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/agent/byexternalref/${seg}/${seg}/${seg}$`),
      handle: async (call) => byExternalRef(await reader(call), call.params, 'agent'),
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/bysystem/${seg}$`),
      handle: async (call) => bySystem(await reader(call), call.params[0]!, 'standard'),
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/agent/bysystem/${seg}$`),
      handle: async (call) => bySystem(await reader(call), call.params[0]!, 'agent'),
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/agent/${seg}$`),
      async handle(call) {
        const vendor = await reader(call);
        const request = records.requests.get(call.params[0]!.toLowerCase());
        if (!request) throw problem(10);
        if (request.userType !== 'agent') throw problem(25);
        ownSystem(vendor, request.systemId);
        return ok(requestView(world, request));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${V}/${seg}$`),
      async handle(call) {
        const vendor = await reader(call);
        const request = records.requests.get(call.params[0]!.toLowerCase());
        if (!request) throw problem(10);
        ownSystem(vendor, request.systemId);
        return ok(requestView(world, request));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${V}/${seg}$`),
      async handle(call) {
        await writer(call);
        const id = call.params[0]!.toLowerCase();
        if (!records.requests.delete(id)) throw problem(10);
        return { status: 202 };
      },
    },
  ];

  function byExternalRef(vendor: Vendor, [systemId, orgNo, externalRef]: string[], userType: SystemUserType): Reply {
    const found = findByExternalRef(systemId!, orgNo!, externalRef!, userType);
    if (!found) throw problem(10);
    ownSystem(vendor, systemId!);
    return ok(requestView(world, found));
  }

  function bySystem(vendor: Vendor, systemId: string, userType: SystemUserType): Reply {
    ownSystem(vendor, systemId);
    const data = [...records.requests.values()].filter((r) => r.systemId === systemId && r.userType === userType);
    return ok({ links: { next: null }, data: data.map((r) => requestView(world, r)) });
  }

  async function create(vendor: Vendor, call: Call, userType: SystemUserType): Promise<Reply> {
    const body = await jsonBody(call.req, REQUEST_SHAPE);
    const systemId = asString(body.systemId);
    const partyOrgNo = asString(body.partyOrgNo);
    const missing: Record<string, string[]> = {};
    if (!systemId) missing.SystemId = ['The SystemId field is required.'];
    if (!partyOrgNo) missing.PartyOrgNo = ['The PartyOrgNo field is required.'];
    if (userType === 'agent' && !Array.isArray(body.accessPackages)) {
      missing.AccessPackages = ['The AccessPackages field is required.'];
    }
    if (Object.keys(missing).length > 0) throw modelStateProblem(missing);
    // The controller trims strings (TrimStringsActionFilter).
    const externalRefGiven = asString(body.externalRef)?.trim();
    const externalRef = externalRefGiven || partyOrgNo!.trim();
    const orgNo = partyOrgNo!.trim();
    const sysId = systemId!.trim();

    // The controller: an existing system user for (system, org, externalRef) is AUTH-00004; an existing
    // request (not timed out) of the vendor's is answered again with 200.
    if (records.systemUserFor(sysId, orgNo, externalRef)) throw problem(4);
    const existing = findByExternalRef(sysId, orgNo, externalRef, userType);
    const system = records.systems.get(sysId);
    if (existing && system && !system.isDeleted && system.vendor.ID.split(':')[1] === vendor.orgNo) {
      return ok(requestView(world, existing));
    }

    // The service, in its order.
    if (!system || system.isDeleted) throw problem(11);
    const other = findByExternalRef(sysId, orgNo, externalRef);
    if (other) throw problem(({ Accepted: 6, New: 7, Denied: 8, Rejected: 9, Timedout: 7 } as const)[other.status]);
    ownSystem(vendor, sysId);
    if (!records.organisations.has(orgNo)) throw problem(0);
    const redirectUrl = asString(body.redirectUrl)?.trim() || null;
    if (redirectUrl) checkRedirect(system, redirectUrl);

    const rights = body.rights === undefined || body.rights === null ? undefined : rightsOf(body.rights);
    const packages =
      body.accessPackages === undefined || body.accessPackages === null ? undefined : packagesOf(body.accessPackages);
    if (userType === 'standard') {
      if (rights === undefined && packages === undefined) throw problem(1);
      if (!rights?.length && !packages?.length) throw problem(59);
      if (rights?.length) checkRights(system, rights);
      if (packages?.length) checkPackages(system, packages, false);
    } else {
      if (!packages?.length) throw problem(58);
      checkPackages(system, packages, true);
    }

    const request: RequestRecord = {
      id: randomUUID(),
      integrationTitle: asString(body.integrationTitle)?.trim() || (system.name.nb ?? null),
      externalRef,
      systemId: sysId,
      partyOrgNo: orgNo,
      rights: userType === 'agent' ? [] : (rights ?? []),
      accessPackages: packages ?? [],
      status: 'New',
      redirectUrl,
      created: new Date().toISOString(),
      userType,
    };
    records.requests.set(request.id, request);
    records.log({
      kind: 'altinn',
      outcome: 'forespørsel',
      text: `${records.nameOf(vendor.orgNo)} ba ${records.nameOf(orgNo)} om en ${userType === 'agent' ? 'klientsystembruker' : 'systembruker'} for ${sysId}`,
    });
    const location = `${world.origin()}${V}${userType === 'agent' ? '/agent' : ''}/${request.id}`;
    return { status: 201, body: requestView(world, request), headers: { location } };
  }
}

/** The source's checks on a request, shared by requests and change requests. */
export function requestChecks(world: World) {
  const { records } = world;
  /** The source's `ValidateVendorOrgNo`: another vendor's system is "not found" (AUTH-00011). */
  function ownSystem(vendor: Vendor, systemId: string): SystemRecord {
    const system = records.systems.get(systemId);
    if (!system || system.isDeleted || system.vendor.ID.split(':')[1] !== vendor.orgNo) throw problem(11);
    return system;
  }

  /**
   * The source's rule (`AuthenticationHelper.ValidateRedirectUrl`): scheme, host, port and path equal to one of
   * the system's allowed URLs, the query aside. Loopback http entries (seeded, or registered with
   * --allow-http-redirects) match any port and any path below them, so a vendor's local app may run anywhere.
   */
  function checkRedirect(system: SystemRecord, redirectUrl: string) {
    if (system.allowedRedirectUrls.length === 0) throw problem(26);
    if (!URL.canParse(redirectUrl)) throw problem(21);
    const target = new URL(redirectUrl);
    const leftPart = (u: URL) => `${u.protocol}//${u.host}${u.pathname}`;
    const allowed = system.allowedRedirectUrls.some((entry) => {
      if (!URL.canParse(entry)) return false;
      const base = new URL(entry);
      if (base.protocol === 'http:' && LOOPBACK_HOSTS.includes(base.hostname)) {
        return (
          target.protocol === 'http:' && target.hostname === base.hostname && target.pathname.startsWith(base.pathname)
        );
      }
      return leftPart(base) === leftPart(target);
    });
    if (!allowed) throw problem(21);
  }

  /** `SystemUserService.ValidateRights`: every requested right must be one of the system's. */
  function checkRights(system: SystemRecord, rights: ReturnType<typeof rightsOf>) {
    if (rights.length > system.rights.length) throw problem(1);
    const key = (r: { resource: { id: string; value: string }[] }) =>
      JSON.stringify(r.resource.map((a) => [a.id, a.value]).sort());
    const declared = new Set(system.rights.map(key));
    if (rights.some((r) => r.resource.length === 0 || !declared.has(key(r)))) throw problem(1);
  }

  /** `SystemUserService.ValidateAccessPackages`: declared by the system, and of the right kind. */
  function checkPackages(system: SystemRecord, packages: AccessPackageRef[], agent: boolean) {
    if (system.accessPackages.length < packages.length) throw problem(63);
    const declared = new Set(system.accessPackages.map((p) => p.urn));
    const notFound = packages.filter((p) => !declared.has(p.urn));
    if (notFound.length > 0) throw problem(63, `NotFoundPackages: ${notFound.map((p) => p.urn).join(', ')}`);
    const wrongKind = packages.filter((p) => (records.accessPackages.get(p.urn)?.client ?? !agent) !== agent);
    if (wrongKind.length > 0) {
      throw problem(agent ? 65 : 64, `NotDelegablePackages: ${wrongKind.map((p) => p.urn).join(', ')}`);
    }
  }
  return { ownSystem, checkRedirect, checkRights, checkPackages };
}

/** `RequestSystemResponse` / `AgentRequestSystemResponse`. */
export function requestView(world: World, request: RequestRecord) {
  const page = request.userType === 'agent' ? 'agentrequest' : 'request';
  return {
    id: request.id,
    integrationTitle: request.integrationTitle,
    externalRef: request.externalRef,
    systemId: request.systemId,
    partyOrgNo: request.partyOrgNo,
    ...(request.userType === 'agent' ? {} : { rights: request.rights }),
    accessPackages: request.accessPackages,
    status: request.status,
    redirectUrl: request.redirectUrl,
    confirmUrl: `${world.origin()}${UI}/${page}?id=${request.id}`,
    escalated: false,
    created: request.created,
    timedOut: false,
  };
}
