import { SCOPES } from './auth.js';
import { asString, bare, jsonBody, ok, problem, type Reply, type Route } from './http.js';
import type { SystemUserRecord } from './records.js';
import { AUTH, type World } from './world.js';

/**
 * System users (altinn-authentication `SystemUserController`): the vendor's lookups, and the end user's list,
 * creation and deletion. End-user endpoints take no login in the sandbox: on loopback, whoever runs it is
 * every end user.
 */
export function systemUserRoutes(world: World): Route[] {
  const { records, auth } = world;
  const S = `${AUTH}/systemuser`;
  const seg = '([^/]+)';

  const party = (value: string) => {
    const orgNo = records.orgNoForParty(value);
    if (!orgNo) throw problem(0);
    return orgNo;
  };
  const live = (id: string) => {
    const user = records.systemUsers.get(id.toLowerCase());
    return user && !user.isDeleted ? user : undefined;
  };

  return [
    {
      method: 'GET',
      path: new RegExp(`^${S}/vendor/byquery$`),
      async handle(call) {
        const vendor = await auth.vendor(call.req, SCOPES.requestWrite, 'unauthorized');
        const systemId = call.query.get('system-id') ?? '';
        const orgNo = call.query.get('orgno') ?? '';
        const externalRef = call.query.get('external-ref') || orgNo;
        const user = records.systemUserFor(systemId, orgNo, externalRef);
        if (!user || user.supplierOrgno !== vendor.orgNo) throw bare(404);
        return ok(externalView(user));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${S}/vendor/bysystem/${seg}$`),
      async handle(call) {
        const vendor = await auth.vendor(call.req, [SCOPES.registerWrite, SCOPES.registerAdmin], 'unauthorized');
        const system = records.systems.get(call.params[0]!);
        if (!system || system.isDeleted || system.vendor.ID.split(':')[1] !== vendor.orgNo) throw problem(11);
        const data = [...records.systemUsers.values()].filter((u) => u.systemId === system.id && !u.isDeleted);
        return ok({ links: { next: null }, data: data.map(externalView) });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${S}/agent/${seg}$`),
      handle(call) {
        const orgNo = party(call.params[0]!);
        return ok(
          usersOf(orgNo)
            .filter((u) => u.userType === 'agent')
            .map((u) => internalView(world, u)),
        );
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${S}/agent/${seg}/${seg}$`),
      handle(call) {
        const orgNo = party(call.params[0]!);
        const user = live(call.params[1]!);
        if (!user || user.partyOrgNo !== orgNo) throw problem(15);
        if (user.userType !== 'agent') throw problem(34);
        if ((records.clients.get(user.id)?.size ?? 0) > 0) throw problem(35);
        records.revoke(orgNo, user.id);
        return { status: 200 };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${S}/${seg}/create$`),
      async handle(call) {
        const created = await createByEndUser(party(call.params[0]!), await jsonBody(call.req, CREATE_SHAPE));
        return ok(internalView(world, created));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${S}/${seg}/${seg}$`),
      handle(call) {
        const orgNo = party(call.params[0]!);
        const user = live(call.params[1]!);
        if (!user || user.partyOrgNo !== orgNo) throw bare(404);
        return ok(internalView(world, user));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${S}/${seg}/${seg}$`),
      handle(call) {
        const orgNo = records.orgNoForParty(call.params[0]!) ?? '';
        const user = live(call.params[1]!);
        if (!user || user.partyOrgNo !== orgNo) return { status: 404, body: 0 };
        records.revoke(orgNo, user.id);
        records.log({
          kind: 'altinn',
          outcome: 'slettet',
          text: `${records.nameOf(orgNo)} slettet systembrukeren ${user.integrationTitle}`,
        });
        return { status: 202, body: 1 };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${S}/${seg}$`),
      handle(call) {
        return ok(usersOf(party(call.params[0]!)).map((u) => internalView(world, u)));
      },
    },
    // Before Altinn moved it to /{party}/create; kept because earlier sandbox scripts use it.
    {
      method: 'POST',
      path: new RegExp(`^${S}/${seg}$`),
      async handle(call): Promise<Reply> {
        const created = await createByEndUser(party(call.params[0]!), await jsonBody(call.req, CREATE_SHAPE));
        return { status: 201, body: internalView(world, created) };
      },
    },
  ];

  function usersOf(orgNo: string): SystemUserRecord[] {
    return [...records.systemUsers.values()].filter((u) => u.partyOrgNo === orgNo && !u.isDeleted);
  }

  /** The end user picks a system in the portal and creates its standard system user with all its rights. */
  async function createByEndUser(orgNo: string, body: Record<string, unknown>): Promise<SystemUserRecord> {
    const systemId = asString(body.systemId) ?? '';
    const system = records.systems.get(systemId);
    if (!system || system.isDeleted) throw problem(11);
    if (records.systemUserFor(systemId, orgNo, orgNo)) throw problem(4);
    const title = asString(body.integrationTitle)?.trim();
    const user = records.createSystemUser({
      systemId,
      partyOrgNo: orgNo,
      externalRef: orgNo,
      userType: 'standard',
      integrationTitle: title || null,
    });
    records.log({
      kind: 'altinn',
      outcome: 'opprettet',
      text: `${records.nameOf(orgNo)} opprettet en systembruker for ${systemId}`,
    });
    return user;
  }
}

const CREATE_SHAPE = { systemId: true, integrationTitle: true } as const;

/** `SystemUserExternalDTO`: what a vendor sees. */
export function externalView(user: SystemUserRecord) {
  return {
    id: user.id,
    integrationTitle: user.integrationTitle,
    systemId: user.systemId,
    productName: user.systemId,
    reporteeOrgNo: user.partyOrgNo,
    created: user.created,
    isDeleted: user.isDeleted,
    supplierName: user.supplierName,
    supplierOrgno: user.supplierOrgno,
    externalRef: user.externalRef,
    userType: user.userType,
  };
}

/** `SystemUserInternalDTO`: what the end user's portal sees. */
export function internalView(world: World, user: SystemUserRecord) {
  return {
    ...externalView(user),
    systemInternalId: world.records.systems.get(user.systemId)?.internalId ?? null,
    partyId: user.partyId,
    partyUuId: world.records.partyUuidFor(user.partyOrgNo),
    accessPackages: user.accessPackages,
  };
}
