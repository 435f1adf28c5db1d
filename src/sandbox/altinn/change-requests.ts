import { SCOPES, type Vendor } from './auth.js';
import {
  ACCESS_PACKAGE_SHAPE,
  asString,
  bare,
  type Call,
  jsonBody,
  ok,
  plainError,
  problem,
  type Reply,
  RIGHT_SHAPE,
  type Route,
  type Shape,
} from './http.js';
import type { ChangeRequestRecord } from './records.js';
import { requestChecks } from './requests.js';
import { packagesOf, rightsOf } from './system-register.js';
import { AUTH, UI, type World } from './world.js';

/** `ChangeRequestSystemUser`, bound in any casing. */
const CHANGE_SHAPE: Shape = {
  requiredRights: [RIGHT_SHAPE],
  unwantedRights: [RIGHT_SHAPE],
  requiredAccessPackages: [ACCESS_PACKAGE_SHAPE],
  unwantedAccessPackages: [ACCESS_PACKAGE_SHAPE],
  redirectUrl: true,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Change requests: the vendor asks the end user for more (or fewer) rights on an existing standard system
 * user (altinn-authentication `ChangeRequestSystemUserController`). The vendor names the change by its own
 * `correlation-id`, which becomes the change request's id.
 */
export function changeRequestRoutes(world: World): Route[] {
  const { records, auth } = world;
  const C = `${AUTH}/systemuser/changerequest/vendor`;
  const seg = '([^/]+)';
  const reader = (call: Call) => auth.vendor(call.req, SCOPES.requestRead, 'unauthorized');
  const writer = (call: Call) => auth.vendor(call.req, SCOPES.requestWrite, 'unauthorized');
  const { ownSystem, checkRedirect, checkRights, checkPackages } = requestChecks(world);

  const own = (vendor: Vendor, change: ChangeRequestRecord | undefined) => {
    if (!change) throw problem(10);
    ownSystem(vendor, change.systemId);
    return change;
  };

  return [
    { method: 'POST', path: new RegExp(`^${C}$`), handle: async (call) => create(await writer(call), call) },
    {
      method: 'GET',
      path: new RegExp(`^${C}/byexternalref/${seg}/${seg}/${seg}$`),
      async handle(call) {
        const vendor = await reader(call);
        const [systemId, orgNo, externalRef] = call.params;
        const found = [...records.changeRequests.values()].find(
          (c) => c.systemId === systemId && c.partyOrgNo === orgNo && c.externalRef === externalRef,
        );
        return ok(view(own(vendor, found)));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${C}/bysystem/${seg}$`),
      async handle(call) {
        const vendor = await reader(call);
        ownSystem(vendor, call.params[0]!);
        const data = [...records.changeRequests.values()].filter((c) => c.systemId === call.params[0]);
        return ok({ links: { next: null }, data: data.map(view) });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${C}/${seg}$`),
      async handle(call) {
        return ok(view(own(await reader(call), records.changeRequests.get(call.params[0]!.toLowerCase()))));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${C}/${seg}$`),
      async handle(call) {
        await writer(call);
        if (!records.changeRequests.delete(call.params[0]!.toLowerCase())) throw problem(10);
        return { status: 202 };
      },
    },
  ];

  async function create(vendor: Vendor, call: Call): Promise<Reply> {
    const correlationId = call.query.get('correlation-id') ?? '';
    if (!UUID.test(correlationId) || /^0{8}-/.test(correlationId)) {
      throw plainError(
        400,
        'Missing or invalid QueryParameter: correlation-id. Generate a unique UUID (RFC 4122) for this Change Request, and add as a Query Parameter.',
      );
    }
    const id = correlationId.toLowerCase();
    const user = records.systemUsers.get((call.query.get('system-user-id') ?? '').toLowerCase());
    if (!user || user.isDeleted) throw problem(15);
    if (id === user.id) {
      throw plainError(400, 'The correlation-id should not be the same as the system-user-id. Generate a unique id.');
    }
    if (user.supplierOrgno !== vendor.orgNo) throw bare(401);
    const body = await jsonBody(call.req, CHANGE_SHAPE);
    const change: ChangeRequestRecord = {
      id,
      systemUserId: user.id,
      systemId: user.systemId,
      partyOrgNo: user.partyOrgNo,
      externalRef: user.externalRef,
      requiredRights: rightsOf(body.requiredRights),
      unwantedRights: rightsOf(body.unwantedRights),
      requiredAccessPackages: packagesOf(body.requiredAccessPackages),
      unwantedAccessPackages: packagesOf(body.unwantedAccessPackages),
      status: 'New',
      redirectUrl: asString(body.redirectUrl)?.trim() || null,
      created: new Date().toISOString(),
    };
    const sets = [
      change.requiredRights,
      change.unwantedRights,
      change.requiredAccessPackages,
      change.unwantedAccessPackages,
    ];
    if (sets.every((set) => set.length === 0)) {
      return ok({ ...view(change), status: 'NoChangeNeeded', confirmUrl: '' });
    }
    const existing = records.changeRequests.get(id);
    if (existing && existing.systemId === user.systemId) return ok(view(existing));
    // The service: an agent system user has no change requests; then the same checks as a request.
    if (user.userType === 'agent') throw problem(15);
    if (existing) throw problem(existing.status === 'New' ? 7 : 61);
    const system = ownSystem(vendor, user.systemId);
    if (!records.organisations.has(user.partyOrgNo)) throw problem(0);
    if (change.redirectUrl) checkRedirect(system, change.redirectUrl);
    if (change.requiredRights.length > 0) checkRights(system, change.requiredRights);
    if (change.requiredAccessPackages.length > 0) checkPackages(system, change.requiredAccessPackages, false);
    records.changeRequests.set(id, change);
    records.log({
      kind: 'altinn',
      outcome: 'endringsforespørsel',
      text: `${records.nameOf(vendor.orgNo)} ba ${records.nameOf(user.partyOrgNo)} om endrede rettigheter for ${user.integrationTitle}`,
    });
    return { status: 201, body: view(change), headers: { location: `${world.origin()}${C}/${change.id}` } };
  }

  /** `ChangeRequestResponse`. */
  function view(change: ChangeRequestRecord) {
    return {
      id: change.id,
      externalRef: change.externalRef,
      systemId: change.systemId,
      systemUserId: change.systemUserId,
      partyOrgNo: change.partyOrgNo,
      requiredRights: change.requiredRights,
      unwantedRights: change.unwantedRights,
      requiredAccessPackages: change.requiredAccessPackages,
      unwantedAccessPackages: change.unwantedAccessPackages,
      status: change.status,
      redirectUrl: change.redirectUrl,
      confirmUrl: `${world.origin()}${UI}/changerequest?id=${change.id}`,
      created: change.created,
      timedOut: false,
    };
  }
}
