import { randomUUID } from 'node:crypto';
import type { DecisionQuery } from '../../context.js';
import { systemUserIdFor, uuidFromSeed } from '../../testing/jws.js';
import {
  ACCESS_PACKAGES,
  ACCOUNTING_FIRM,
  AGENT_PACKAGE,
  ALTINN_VENDOR_SCOPES,
  DCR_SCOPES,
  NO_SYSTEM_USER,
  OTHER_ORGS,
  orgName,
  RESOURCE,
  RESOURCES,
  SERVICE_OWNER,
  STANDARD_USERS,
  VENDOR,
} from '../cast.js';

export const ISO6523 = 'iso6523-actorid-upis';
export const RESOURCE_ATTRIBUTE_ID = 'urn:altinn:resource';

/** One right as the system register writes it: `{ resource: [{ id: 'urn:altinn:resource', value }] }`. */
export interface Right {
  action?: string | null;
  resource: { id: string; value: string }[];
}

/** An access package as the system register and requests write it: `{ urn }`. */
export interface AccessPackageRef {
  urn: string;
}

/** A system in the system register (the body of `POST /systemregister/vendor`). */
export interface SystemRecord {
  id: string;
  /** Altinn's own id for the system: what `POST /systemregister/vendor` answers. */
  internalId: string;
  vendor: { authority: string; ID: string };
  name: Record<string, string>;
  description: Record<string, string>;
  rights: Right[];
  accessPackages: AccessPackageRef[];
  clientId: string[];
  isVisible: boolean;
  allowedRedirectUrls: string[];
  isDeleted: boolean;
}

export type SystemUserType = 'standard' | 'agent';

/** A system user, in the shape `GET /systemuser/vendor/bysystem/{systemId}` lists it. */
export interface SystemUserRecord {
  id: string;
  integrationTitle: string;
  systemId: string;
  partyId: string;
  partyOrgNo: string;
  externalRef: string;
  created: string;
  isDeleted: boolean;
  supplierName: string;
  supplierOrgno: string;
  userType: SystemUserType;
  accessPackages: AccessPackageRef[];
  /** The rights delegated to it (a standard system user); an agent acts through its packages. */
  rights: Right[];
}

/** One line of the console's live log. */
export interface SandboxEvent {
  seq: number;
  at: string;
  kind: 'decision' | 'token' | 'altinn';
  /** Permit / NotApplicable for decisions, granted / refused for tokens, the action otherwise. */
  outcome: string;
  text: string;
}
const MAX_EVENTS = 200;

export type RequestStatus = 'New' | 'Accepted' | 'Rejected' | 'Denied' | 'Timedout';

export interface RequestRecord {
  id: string;
  integrationTitle: string | null;
  externalRef: string;
  systemId: string;
  partyOrgNo: string;
  rights: Right[];
  accessPackages: AccessPackageRef[];
  status: RequestStatus;
  redirectUrl: string | null;
  created: string;
  userType: SystemUserType;
  /** Set once accepted. */
  systemUserId?: string;
}

/** A vendor's change request for an existing standard system user (more or fewer rights). */
export interface ChangeRequestRecord {
  id: string;
  systemUserId: string;
  systemId: string;
  partyOrgNo: string;
  externalRef: string;
  requiredRights: Right[];
  unwantedRights: Right[];
  requiredAccessPackages: AccessPackageRef[];
  unwantedAccessPackages: AccessPackageRef[];
  status: RequestStatus;
  redirectUrl: string | null;
  created: string;
}

const rightKey = (r: Right) => JSON.stringify(r.resource.map((a) => [a.id, a.value]).sort());

/** What Maskinporten asks before it puts a system user in a token. */
export interface SystemUserLookup {
  clientId: string;
  orgNo: string;
  /** Defaults to `orgNo`, as Altinn does for requests without one. */
  externalRef?: string | undefined;
}

/**
 * The local Altinn's records, in memory: gone when the sandbox stops, which is what a sandbox wants.
 * Every method is synchronous; the HTTP layer (server.ts) does validation and shapes answers.
 */
export class AltinnRecords {
  readonly systems = new Map<string, SystemRecord>();
  readonly systemUsers = new Map<string, SystemUserRecord>();
  readonly requests = new Map<string, RequestRecord>();
  readonly changeRequests = new Map<string, ChangeRequestRecord>();
  /** Agent system user id → client organization numbers. */
  readonly clients = new Map<string, Set<string>>();
  private readonly partyIds = new Map<string, string>();
  private readonly partyUuids = new Map<string, string>();
  /** The organisation register: org number → name. Requests and delegations for other orgs are refused. */
  readonly organisations = new Map<string, string>();
  /** The resource register: resource id → title. */
  readonly resources = new Map<string, { title: string; description: string; owner: string }>();
  /** Access packages: urn → name and whether it is meant for client relations. */
  readonly accessPackages = new Map<string, { name: string; client: boolean }>();
  /** The most recent events (newest last): PDP decisions, token grants and refusals, end-user actions. */
  readonly events: SandboxEvent[] = [];
  private eventSeq = 0;

  /** Records an event for the console's live log; the log keeps the last {@link MAX_EVENTS}. */
  log(event: Omit<SandboxEvent, 'seq' | 'at'>): void {
    this.events.push({ seq: ++this.eventSeq, at: new Date().toISOString(), ...event });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** The name of a registered organisation, else the org number itself. */
  nameOf(orgNo: string): string {
    return this.organisations.get(orgNo) ?? orgNo;
  }

  /** Altinn's party uuid for an organisation (client delegation addresses clients by it). */
  partyUuidFor(orgNo: string): string {
    let id = this.partyUuids.get(orgNo);
    if (!id) {
      id = uuidFromSeed(`portvakt:party:${orgNo}`);
      this.partyUuids.set(orgNo, id);
    }
    return id;
  }

  /** An org number, or a party uuid of a registered organisation, as an org number. */
  orgNoForPartyUuid(value: string): string | undefined {
    if (/^\d{9}$/.test(value)) return value;
    for (const orgNo of this.organisations.keys()) if (this.partyUuidFor(orgNo) === value.toLowerCase()) return orgNo;
    return undefined;
  }

  /** Altinn addresses parties by a numeric party id as well as by organization number. */
  partyIdFor(orgNo: string): string {
    let id = this.partyIds.get(orgNo);
    if (!id) {
      id = String(50_100_000 + this.partyIds.size);
      this.partyIds.set(orgNo, id);
    }
    return id;
  }

  /** `party` as an organization number or a party id. */
  orgNoForParty(party: string): string | undefined {
    if (/^\d{9}$/.test(party)) return party;
    for (const [orgNo, id] of this.partyIds) if (id === party) return orgNo;
    return undefined;
  }

  systemsByClientId(clientId: string): SystemRecord[] {
    return [...this.systems.values()].filter((s) => !s.isDeleted && s.clientId.includes(clientId));
  }

  /** The live system user of (system, org, externalRef), whatever its type. */
  systemUserFor(systemId: string, orgNo: string, externalRef: string): SystemUserRecord | undefined {
    for (const user of this.systemUsers.values()) {
      if (
        !user.isDeleted &&
        user.systemId === systemId &&
        user.partyOrgNo === orgNo &&
        user.externalRef === externalRef
      ) {
        return user;
      }
    }
    return undefined;
  }

  /** Maskinporten's question: the live system user of this client's system for this org. */
  findForToken(lookup: SystemUserLookup): { user: SystemUserRecord; system: SystemRecord } | undefined {
    const externalRef = lookup.externalRef ?? lookup.orgNo;
    for (const system of this.systemsByClientId(lookup.clientId)) {
      const user = this.systemUserFor(system.id, lookup.orgNo, externalRef);
      if (user) {
        this.log({
          kind: 'token',
          outcome: 'token utstedt',
          text: `Maskinporten: systembrukeren ${user.integrationTitle} for ${this.nameOf(lookup.orgNo)}`,
        });
        return { user, system };
      }
    }
    this.log({
      kind: 'token',
      outcome: 'token nektet',
      text: `Maskinporten: ingen systembruker for ${this.nameOf(lookup.orgNo)} (${lookup.orgNo}) med externalRef ${externalRef}`,
    });
    return undefined;
  }

  createSystemUser(request: {
    systemId: string;
    partyOrgNo: string;
    externalRef: string;
    userType: SystemUserType;
    accessPackages?: AccessPackageRef[];
    /** Default: all the system's rights (a system user made in the portal, or seeded). */
    rights?: Right[];
    integrationTitle?: string | null;
    id?: string;
  }): SystemUserRecord {
    const system = this.systems.get(request.systemId);
    const user: SystemUserRecord = {
      id: request.id ?? randomUUID(),
      integrationTitle: request.integrationTitle || (system?.name.nb ?? system?.name.en ?? request.systemId),
      systemId: request.systemId,
      partyId: this.partyIdFor(request.partyOrgNo),
      partyOrgNo: request.partyOrgNo,
      externalRef: request.externalRef,
      created: new Date().toISOString(),
      isDeleted: false,
      supplierName: system ? this.nameOf(system.vendor.ID.replace(/^0192:/, '')) : '',
      supplierOrgno: system?.vendor.ID.replace(/^0192:/, '') ?? '',
      userType: request.userType,
      accessPackages: request.accessPackages ?? [],
      rights: request.rights ?? system?.rights ?? [],
    };
    this.systemUsers.set(user.id, user);
    if (user.userType === 'agent') this.clients.set(user.id, new Set());
    return user;
  }

  /** The end user's revocation: the system user is deleted (kept, marked, as Altinn does). */
  revoke(party: string, systemUserId: string): boolean {
    const orgNo = this.orgNoForParty(party);
    const user = this.systemUsers.get(systemUserId);
    if (!user || user.isDeleted || user.partyOrgNo !== orgNo) return false;
    user.isDeleted = true;
    return true;
  }

  /** Adds a client (org number) to an agent system user. */
  delegateClient(agentId: string, clientOrgNo: string): void {
    const set = this.clients.get(agentId) ?? new Set<string>();
    set.add(clientOrgNo);
    this.clients.set(agentId, set);
  }

  /** Removes a client; false when it was not there. */
  removeClient(agentId: string, clientOrgNo: string): boolean {
    return this.clients.get(agentId)?.delete(clientOrgNo) ?? false;
  }

  accept(requestId: string): SystemUserRecord | undefined {
    const request = this.requests.get(requestId);
    if (request?.status !== 'New') return undefined;
    const user = this.createSystemUser({
      systemId: request.systemId,
      partyOrgNo: request.partyOrgNo,
      externalRef: request.externalRef,
      userType: request.userType,
      accessPackages: request.accessPackages,
      rights: request.rights,
      integrationTitle: request.integrationTitle,
    });
    request.status = 'Accepted';
    request.systemUserId = user.id;
    return user;
  }

  /** The end user approves a change request: required rights added, unwanted ones taken away. */
  acceptChange(id: string): boolean {
    const change = this.changeRequests.get(id);
    const user = change && this.systemUsers.get(change.systemUserId);
    if (change?.status !== 'New' || !user || user.isDeleted) return false;
    const unwanted = new Set(change.unwantedRights.map(rightKey));
    const kept = user.rights.filter((r) => !unwanted.has(rightKey(r)));
    const have = new Set(kept.map(rightKey));
    user.rights = [...kept, ...change.requiredRights.filter((r) => !have.has(rightKey(r)))];
    const unwantedPackages = new Set(change.unwantedAccessPackages.map((p) => p.urn));
    const packages = user.accessPackages.filter((p) => !unwantedPackages.has(p.urn));
    const urns = new Set(packages.map((p) => p.urn));
    user.accessPackages = [...packages, ...change.requiredAccessPackages.filter((p) => !urns.has(p.urn))];
    change.status = 'Accepted';
    return true;
  }

  rejectChange(id: string): boolean {
    const change = this.changeRequests.get(id);
    if (change?.status !== 'New') return false;
    change.status = 'Rejected';
    return true;
  }

  reject(requestId: string): boolean {
    const request = this.requests.get(requestId);
    if (request?.status !== 'New') return false;
    request.status = 'Rejected';
    return true;
  }

  /**
   * The PDP's rule: Permit when the system user lives, its system's rights include the resource, and
   * the party is its own org (standard) or one of its clients (agent). Any action the right covers.
   */
  decide(query: DecisionQuery): 'Permit' | 'NotApplicable' {
    const decision = this.decision(query);
    const user = this.systemUsers.get(query.systemUserId.toLowerCase());
    const who = user ? `${user.integrationTitle} (${this.nameOf(user.partyOrgNo)})` : query.systemUserId;
    this.log({
      kind: 'decision',
      outcome: decision,
      text: `${who} → ${query.action} ${this.resources.get(query.resource)?.title ?? query.resource} for ${this.nameOf(query.party)} (${query.party})`,
    });
    return decision;
  }

  private decision(query: DecisionQuery): 'Permit' | 'NotApplicable' {
    const user = this.systemUsers.get(query.systemUserId.toLowerCase());
    if (!user || user.isDeleted) return 'NotApplicable';
    const system = this.systems.get(user.systemId);
    if (!system || system.isDeleted) return 'NotApplicable';
    // A standard system user holds the rights its request asked for; an agent, through its packages, the system's.
    const rights = user.userType === 'standard' ? user.rights : system.rights;
    const hasRight = rights.some((right) =>
      right.resource.some((r) => r.id === RESOURCE_ATTRIBUTE_ID && r.value === query.resource),
    );
    if (!hasRight) return 'NotApplicable';
    const forParty =
      user.userType === 'standard'
        ? user.partyOrgNo === query.party
        : (this.clients.get(user.id)?.has(query.party) ?? false);
    return forParty ? 'Permit' : 'NotApplicable';
  }
}

/** The scopes SmartRegnskap's Maskinporten client may ask for. */
export const SMARTREGNSKAP_SCOPES = ['skatteetaten:kravogbetalinger', ...ALTINN_VENDOR_SCOPES, ...DCR_SCOPES];

/** The sandbox story (docs/sandbox.md): SmartRegnskap, two standard system users, the accounting firm's agent. */
export function seedRecords(records: AltinnRecords): void {
  for (const org of [SERVICE_OWNER, VENDOR, ...STANDARD_USERS, ACCOUNTING_FIRM, NO_SYSTEM_USER, ...OTHER_ORGS]) {
    records.organisations.set(org.orgNo, orgName(org.orgNo) ?? org.orgNo);
  }
  for (const r of RESOURCES)
    records.resources.set(r.id, { title: r.title, description: r.description, owner: r.owner });
  for (const p of ACCESS_PACKAGES) records.accessPackages.set(p.urn, { name: p.name, client: p.client });
  records.systems.set(VENDOR.systemId, {
    id: VENDOR.systemId,
    internalId: uuidFromSeed(`portvakt:system:${VENDOR.systemId}`),
    vendor: { authority: ISO6523, ID: `0192:${VENDOR.orgNo}` },
    name: { nb: VENDOR.systemName, nn: VENDOR.systemName, en: VENDOR.systemName },
    description: { nb: 'Regnskapssystem fra SmartCloud AS', en: 'Accounting system from SmartCloud AS' },
    rights: [{ resource: [{ id: RESOURCE_ATTRIBUTE_ID, value: RESOURCE }] }],
    // A client package makes it an agent system too; Altinn then requires isVisible: false (AUTH.VLD-00018).
    accessPackages: [{ urn: AGENT_PACKAGE }],
    clientId: [VENDOR.clientId],
    isVisible: false,
    // Seeded, not registered through the API (which takes https only): any local page may be the return
    // address, whatever its port (see redirectAllowed in requests.ts).
    allowedRedirectUrls: ['http://localhost/', 'http://127.0.0.1/'],
    isDeleted: false,
  });
  for (const { orgNo } of STANDARD_USERS) {
    // The kit's deterministic uuids, so tokens from createTestIssuer and from the sandbox name the same users.
    records.createSystemUser({
      id: systemUserIdFor(orgNo),
      systemId: VENDOR.systemId,
      partyOrgNo: orgNo,
      externalRef: orgNo,
      userType: 'standard',
    });
  }
  const agent = records.createSystemUser({
    id: systemUserIdFor(ACCOUNTING_FIRM.orgNo),
    systemId: VENDOR.systemId,
    partyOrgNo: ACCOUNTING_FIRM.orgNo,
    externalRef: ACCOUNTING_FIRM.orgNo,
    userType: 'agent',
    accessPackages: [{ urn: AGENT_PACKAGE }],
  });
  records.clients.set(agent.id, new Set(ACCOUNTING_FIRM.clients));
}
