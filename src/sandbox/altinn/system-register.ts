import { randomUUID } from 'node:crypto';
import { readBody } from '../../testing/http.js';
import { SCOPES, type Vendor } from './auth.js';
import {
  ACCESS_PACKAGE_SHAPE,
  asString,
  bare,
  bindKeys,
  type Call,
  jsonBody,
  modelStateProblem,
  ok,
  plainError,
  RIGHT_SHAPE,
  type Route,
  type Shape,
  Validation,
} from './http.js';
import { type AccessPackageRef, ISO6523, RESOURCE_ATTRIBUTE_ID, type Right, type SystemRecord } from './records.js';
import { AUTH, LOOPBACK_HOSTS, type World } from './world.js';

/** `RegisterSystemRequest`, as ASP.NET binds it (any casing). */
const SYSTEM_SHAPE: Shape = {
  id: true,
  vendor: { authority: true, ID: true },
  name: true,
  description: true,
  rights: [RIGHT_SHAPE],
  accessPackages: [ACCESS_PACKAGE_SHAPE],
  clientId: true,
  isVisible: true,
  allowedRedirectUrls: true,
};

/** Error paths as altinn-authentication's `ErrorPathConstant` writes them. */
const PATH = {
  vendorId: '/registersystemrequest/vendor/id',
  systemId: '/registersystemrequest/systemid',
  redirectUrls: '/registersystemrequest/allowedredirecturls',
  clientId: '/registersystemrequest/clientid',
  accessPackages: '/registersystemrequest/accesspackages',
  rights: '/registersystemrequest/rights/resource',
};

const orgOf = (vendorId: string) => vendorId.split(':')[1] ?? '';

/** The system register's vendor endpoints (altinn-authentication `SystemRegisterController`). */
export function systemRegisterRoutes(world: World): Route[] {
  const { records, auth } = world;
  const R = `${AUTH}/systemregister`;
  const id = '([^/]+)';

  const writer = (call: Call) => auth.vendor(call.req, [SCOPES.registerWrite, SCOPES.registerAdmin], 'forbid');
  /** HasWriteAccess: the admin scope, or the system's own vendor. */
  const mayWrite = (vendor: Vendor, system: { vendor: { ID: string } }) =>
    vendor.scopes.includes(SCOPES.registerAdmin) || orgOf(system.vendor.ID) === vendor.orgNo;
  const live = (systemId: string) => {
    const s = records.systems.get(systemId);
    return s && !s.isDeleted ? s : undefined;
  };

  return [
    {
      method: 'GET',
      path: new RegExp(`^${R}/vendor$`),
      async handle(call) {
        const vendor = await writer(call);
        const own = [...records.systems.values()].filter((s) => !s.isDeleted && orgOf(s.vendor.ID) === vendor.orgNo);
        return ok(own.map(dto));
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${R}/vendor$`),
      async handle(call) {
        const vendor = await writer(call);
        const body = required(await jsonBody(call.req, SYSTEM_SHAPE));
        const vendorId = body.vendor.ID;
        const errors = new Validation();
        if (vendorId.split(':')[0] !== '0192') {
          errors.add(0, PATH.vendorId);
          errors.check();
        }
        validateNewSystem(body, errors);
        validateRights(body.rights, errors);
        validateAccessPackages(body.accessPackages, body.isVisible, errors);
        // As the source: ownership is checked after validation runs, but before its errors are returned.
        if (!mayWrite(vendor, body)) throw bare(403);
        errors.check();
        const system: SystemRecord = { ...body, internalId: randomUUID(), isDeleted: false };
        records.systems.set(system.id, system);
        records.log({
          kind: 'altinn',
          outcome: 'registrert',
          text: `${records.nameOf(vendor.orgNo)} registrerte systemet ${system.id}`,
        });
        return ok(system.internalId);
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${R}/vendor/${id}$`),
      async handle(call) {
        const vendor = await writer(call);
        const system = records.systems.get(call.params[0]!);
        if (!system) throw bare(404);
        if (!mayWrite(vendor, system)) throw bare(403);
        return ok(view(system));
      },
    },
    {
      method: 'PUT',
      path: new RegExp(`^${R}/vendor/${id}$`),
      async handle(call) {
        const vendor = await writer(call);
        const systemId = call.params[0]!;
        const body = required(await jsonBody(call.req, SYSTEM_SHAPE));
        const current = records.systems.get(systemId);
        if (!current) throw plainError(404, `System with ID '${systemId}' not found.`);
        if (!mayWrite(vendor, current)) throw bare(403);
        if (body.vendor.ID !== current.vendor.ID) throw plainError(404, `System with ID '${systemId}' not found.`);
        const errors = new Validation();
        if (body.id !== systemId) {
          errors.add(12, PATH.systemId);
          errors.check();
        }
        if (current.isDeleted) throw plainError(400, 'Cannot update a system marked as deleted.');
        validateRights(body.rights, errors);
        validateAccessPackages(body.accessPackages, body.isVisible, errors);
        validateClientIds(current, body.clientId, errors);
        errors.check();
        records.systems.set(systemId, { ...body, internalId: current.internalId, isDeleted: false });
        return ok({ succeeded: true });
      },
    },
    {
      method: 'PUT',
      path: new RegExp(`^${R}/vendor/${id}/rights$`),
      async handle(call) {
        const vendor = await writer(call);
        const system = ownForUpdate(vendor, call.params[0]!);
        const rights = rightsOf((await jsonList(call, [RIGHT_SHAPE])) as unknown[]);
        const errors = new Validation();
        validateRights(rights, errors);
        errors.check();
        system.rights = rights;
        return ok({ succeeded: true });
      },
    },
    {
      method: 'PUT',
      path: new RegExp(`^${R}/vendor/${id}/accesspackages$`),
      async handle(call) {
        const vendor = await writer(call);
        const system = ownForUpdate(vendor, call.params[0]!);
        const packages = packagesOf((await jsonList(call, [ACCESS_PACKAGE_SHAPE])) as unknown[]);
        const errors = new Validation();
        validateAccessPackages(packages, system.isVisible, errors);
        errors.check();
        system.accessPackages = packages;
        return ok({ succeeded: true });
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${R}/vendor/${id}$`),
      async handle(call) {
        const vendor = await writer(call);
        const system = records.systems.get(call.params[0]!);
        if (!system) {
          throw modelStateProblem({ return: ['System not found'] });
        }
        if (!mayWrite(vendor, system)) throw bare(403);
        system.isDeleted = true;
        return ok({ succeeded: true });
      },
    },
    // The end user's portal reads a system's rights and packages (scope altinn:portal/enduser in Altinn; the
    // sandbox has no login). Altinn's docs also name the path under /vendor; both answer the same.
    {
      method: 'GET',
      path: new RegExp(`^${R}(?:/vendor)?/${id}/rights$`),
      handle: (call) => ok(records.systems.get(call.params[0]!)?.rights ?? []),
    },
    {
      method: 'GET',
      path: new RegExp(`^${R}(?:/vendor)?/${id}/accesspackages$`),
      handle: (call) => ok(records.systems.get(call.params[0]!)?.accessPackages ?? []),
    },
    {
      method: 'GET',
      path: new RegExp(`^${R}$`),
      handle: () => ok([...records.systems.values()].filter((s) => !s.isDeleted && s.isVisible).map(dto)),
    },
    {
      method: 'GET',
      path: new RegExp(`^${R}/${id}$`),
      handle(call) {
        const system = live(call.params[0]!);
        if (!system) throw bare(404);
        return ok(dto(system));
      },
    },
  ];

  async function jsonList(call: Call, shape: Shape): Promise<unknown> {
    try {
      const parsed = JSON.parse((await readBody(call.req)).toString('utf8')) as unknown;
      if (Array.isArray(parsed)) return bindKeys(parsed, shape);
    } catch {}
    throw modelStateProblem({ $: ['The JSON value could not be converted.'] });
  }

  function ownForUpdate(vendor: Vendor, systemId: string): SystemRecord {
    const system = records.systems.get(systemId);
    if (!system) throw bare(404);
    if (!mayWrite(vendor, system)) throw bare(403);
    if (system.isDeleted) throw plainError(400, 'Cannot update a system marked as deleted.');
    return system;
  }

  function validateNewSystem(body: Omit<SystemRecord, 'internalId' | 'isDeleted'>, errors: Validation) {
    if (body.id.includes(' ')) errors.add(13, PATH.systemId);
    if (body.id.split('_')[0] !== orgOf(body.vendor.ID)) errors.add(1, PATH.systemId);
    if (records.systems.has(body.id)) errors.add(2, PATH.systemId);
    if (!body.allowedRedirectUrls.every(redirectUrlValid)) errors.add(5, PATH.redirectUrls);
    const taken = new Set([...records.systems.values()].filter((s) => !s.isDeleted).flatMap((s) => s.clientId));
    if (body.clientId.some((c) => taken.has(c))) errors.add(4, PATH.clientId);
  }

  function validateClientIds(current: SystemRecord, clientIds: string[], errors: Validation) {
    const lower = clientIds.map((c) => c.toLowerCase());
    if (new Set(lower).size !== lower.length) errors.add(11, PATH.clientId);
    for (const clientId of lower) {
      const usedByOther = [...records.systems.values()].some(
        (s) => s.id !== current.id && !s.isDeleted && s.clientId.some((c) => c.toLowerCase() === clientId),
      );
      if (usedByOther) errors.add(4, PATH.clientId);
    }
  }

  /** https only, as the source; loopback http when the sandbox was started with --allow-http-redirects. */
  function redirectUrlValid(url: string): boolean {
    if (!URL.canParse(url)) return false;
    const parsed = new URL(url);
    if (parsed.protocol === 'https:') return true;
    return world.allowHttpLoopbackRedirects && parsed.protocol === 'http:' && LOOPBACK_HOSTS.includes(parsed.hostname);
  }

  function validateRights(rights: Right[], errors: Validation) {
    const values = rights.flatMap((r) => r.resource);
    const badFormat = values.filter((a) => a.id !== RESOURCE_ATTRIBUTE_ID && !a.id.startsWith('urn:altinn:'));
    if (badFormat.length > 0) errors.add(9, PATH.rights, badFormat.map((a) => a.id).join(' | '));
    const notFound = values.filter((a) => a.id === RESOURCE_ATTRIBUTE_ID && !records.resources.has(a.value));
    if (notFound.length > 0) errors.add(3, PATH.rights, notFound.map((a) => a.value).join(' | '));
    const keys = rights.map((r) => JSON.stringify(r.resource.map((a) => [a.id, a.value]).sort()));
    if (new Set(keys).size !== keys.length) errors.add(6, PATH.rights);
  }

  function validateAccessPackages(packages: AccessPackageRef[], isVisible: boolean, errors: Validation) {
    const unknown = packages.filter((p) => !records.accessPackages.has(p.urn));
    if (unknown.length > 0) errors.add(8, PATH.accessPackages, `Not found: ${unknown.map((p) => p.urn).join(', ')}`);
    const urns = packages.map((p) => p.urn);
    if (new Set(urns).size !== urns.length) errors.add(7, PATH.accessPackages);
    if (isVisible && packages.some((p) => records.accessPackages.get(p.urn)?.client))
      errors.add(18, PATH.accessPackages);
  }

  function dto(system: SystemRecord) {
    const orgNo = orgOf(system.vendor.ID);
    return {
      systemId: system.id,
      systemVendorOrgNumber: orgNo,
      systemVendorOrgName: records.nameOf(orgNo),
      name: system.name,
      description: system.description,
      rights: system.rights,
      accessPackages: system.accessPackages,
      isVisible: system.isVisible,
    };
  }
}

/** `RegisteredSystemResponse`: the system as the vendor registered it. */
export function view(system: SystemRecord) {
  return {
    id: system.id,
    vendor: system.vendor,
    name: system.name,
    description: system.description,
    rights: system.rights,
    accessPackages: system.accessPackages,
    isDeleted: system.isDeleted,
    clientId: system.clientId,
    isVisible: system.isVisible,
    allowedRedirectUrls: system.allowedRedirectUrls,
  };
}

export function rightsOf(value: unknown): Right[] {
  if (!Array.isArray(value)) return [];
  return value.map((r: { action?: unknown; resource?: unknown }) => ({
    ...(typeof r?.action === 'string' ? { action: r.action } : {}),
    resource: (Array.isArray(r?.resource) ? r.resource : []).map((a: { id?: unknown; value?: unknown }) => ({
      id: String(a?.id ?? ''),
      value: String(a?.value ?? ''),
    })),
  }));
}

export function packagesOf(value: unknown): AccessPackageRef[] {
  if (!Array.isArray(value)) return [];
  return value.map((p: { urn?: unknown }) => ({ urn: String(p?.urn ?? '') }));
}

/**
 * The required members of `RegisterSystemRequest` (`id`, `vendor`, `name`, `description`): missing ones are
 * ASP.NET's model-binding 400. Lists default to empty, `isVisible` to true, as the C# initialisers do.
 */
function required(body: Record<string, unknown>): Omit<SystemRecord, 'internalId' | 'isDeleted'> {
  const errors: Record<string, string[]> = {};
  const id = asString(body.id);
  const vendor = body.vendor as { authority?: unknown; ID?: unknown } | undefined;
  const texts = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).map(([k, t]) => [k, String(t)]))
      : undefined;
  const name = texts(body.name);
  const description = texts(body.description);
  if (id === undefined)
    errors.$ = [
      ...(errors.$ ?? []),
      "JSON deserialization for type 'RegisterSystemRequest' was missing required properties, including: 'id'.",
    ];
  if (typeof vendor?.ID !== 'string') errors['$.vendor'] = ['The vendor field is required.'];
  if (!name) errors['$.name'] = ['The name field is required.'];
  if (!description) errors['$.description'] = ['The description field is required.'];
  if (Object.keys(errors).length > 0) throw modelStateProblem(errors);
  return {
    id: id!,
    vendor: { authority: asString(vendor!.authority) ?? ISO6523, ID: vendor!.ID as string },
    name: name!,
    description: description!,
    rights: rightsOf(body.rights),
    accessPackages: packagesOf(body.accessPackages),
    clientId: Array.isArray(body.clientId) ? body.clientId.map(String) : [],
    isVisible: body.isVisible !== false,
    allowedRedirectUrls: Array.isArray(body.allowedRedirectUrls) ? body.allowedRedirectUrls.map(String) : [],
  };
}
