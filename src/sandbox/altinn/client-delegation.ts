import { type Call, ok, problem, type Route, Validation } from './http.js';
import type { SystemUserRecord } from './records.js';
import { internalView } from './system-users.js';
import { AUTH, type World } from './world.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Client delegation for agent system users (altinn-authentication `SystemUserClientDelegationController`):
 * the accounting firm's client administrator adds and removes clients. `client` is a party uuid, as in
 * Altinn; the sandbox also takes an organisation number.
 */
export function clientDelegationRoutes(world: World): Route[] {
  const { records } = world;
  const E = `${AUTH}/enduser/systemuser`;

  return [
    {
      method: 'GET',
      path: new RegExp(`^${E}/clients$`),
      handle(call) {
        const agent = agentOf(call);
        const clients = [...(records.clients.get(agent.id) ?? [])];
        return ok(page(agent, clients));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${E}/clients/available$`),
      handle(call) {
        const agent = agentOf(call);
        const candidates = [...records.organisations.keys()].filter((o) => o !== agent.partyOrgNo);
        return ok(page(agent, candidates));
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${E}/clients$`),
      handle(call) {
        const [agent, client] = agentAndClient(call);
        records.delegateClient(agent.id, client);
        records.log({
          kind: 'altinn',
          outcome: 'kunde lagt til',
          text: `${records.nameOf(agent.partyOrgNo)} ga ${agent.integrationTitle} kunden ${records.nameOf(client)}`,
        });
        return ok({ agent: agent.id, client: records.partyUuidFor(client) });
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${E}/clients$`),
      handle(call) {
        const [agent, client] = agentAndClient(call);
        if (!records.removeClient(agent.id, client)) throw problem(38);
        records.log({
          kind: 'altinn',
          outcome: 'kunde fjernet',
          text: `${records.nameOf(agent.partyOrgNo)} fjernet kunden ${records.nameOf(client)} fra ${agent.integrationTitle}`,
        });
        return ok({ agent: agent.id, client: records.partyUuidFor(client) });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${E}/agents$`),
      handle(call) {
        const orgNo = records.orgNoForParty(call.query.get('party') ?? '');
        if (!orgNo) throw problem(0);
        const agents = [...records.systemUsers.values()].filter(
          (u) => u.partyOrgNo === orgNo && u.userType === 'agent' && !u.isDeleted,
        );
        return ok(agents.map((u) => internalView(world, u)));
      },
    },
  ];

  function page(agent: SystemUserRecord, orgNos: string[]) {
    return {
      links: { next: null },
      data: orgNos.map((orgNo) => ({
        clientId: records.partyUuidFor(orgNo),
        clientOrganizationNumber: orgNo,
        clientOrganizationName: records.nameOf(orgNo),
      })),
      systemUserInformation: { systemUserId: agent.id, systemUserOwnerOrg: agent.partyOrgNo },
    };
  }

  /** The source's ValidateSystemUser: AUTH.VLD-00014 (missing or unknown), AUTH.VLD-00015 (not an agent). */
  function agentOf(call: Call, errors = new Validation()): SystemUserRecord {
    const id = call.query.get('agent') ?? '';
    const user = UUID.test(id) ? records.systemUsers.get(id.toLowerCase()) : undefined;
    if (!UUID.test(id)) errors.add(14, '?agent');
    else if (!user || user.isDeleted)
      errors.errors.push({ code: 'AUTH.VLD-00014', title: 'System user not found', paths: ['?agent'] });
    else if (user.userType !== 'agent') errors.add(15, '?agent');
    errors.check();
    return user!;
  }

  function agentAndClient(call: Call): [SystemUserRecord, string] {
    const errors = new Validation();
    const client = call.query.get('client') ?? '';
    if (!UUID.test(client) && !/^\d{9}$/.test(client)) errors.add(16, '?client');
    const agent = agentOf(call, errors);
    const orgNo = records.orgNoForPartyUuid(client);
    if (!orgNo || !records.organisations.has(orgNo)) throw problem(79);
    return [agent, orgNo];
  }
}
