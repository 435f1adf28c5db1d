import { uuidFromSeed } from '../testing/jws.js';

/** The sandbox's cast (docs/sandbox.md): who is who in the system-user story. */
export const SERVICE_OWNER = { orgNo: '974761076', name: 'Skatteetaten' };
/**
 * SmartCloud AS and its system SmartRegnskap. The Maskinporten client id is the one the testing kit's
 * tokens carry for this vendor, so kit tokens and sandbox tokens look alike.
 */
export const VENDOR = {
  orgNo: '314330897',
  name: 'SmartCloud AS',
  systemId: '314330897_smartregnskap',
  systemName: 'SmartRegnskap',
  clientId: uuidFromSeed('portvakt:client:314330897'),
};
export const RESOURCE = 'ske-krav-og-betalinger';
export const SCOPE = 'skatteetaten:kravogbetalinger';

/** Altinn's own scopes a system vendor is given (seed 002: system register and system user requests). */
export const ALTINN_VENDOR_SCOPES = [
  'altinn:authentication/systemregister.write',
  'altinn:authentication/systemuser.request.read',
  'altinn:authentication/systemuser.request.write',
];

/** End users with an approved standard system user for SmartRegnskap. */
export const STANDARD_USERS = [
  { orgNo: '310478717', name: 'Rør og Vann AS' },
  { orgNo: '313367002', name: 'TILFELDIG SUBTIL APE' },
];
/** The accounting firm with an agent system user, and its clients. */
export const ACCOUNTING_FIRM = {
  orgNo: '314168267',
  name: 'TILBAKEHOLDEN USYMMETRISK TIGER AS',
  clients: ['311851381', '314961900'],
};
/** An organization without a system user, to show a refusal. */
export const NO_SYSTEM_USER = { orgNo: '314055403', name: 'UTSPEKULERT SINDIG TIGER AS' };

/** More organisations in the sandbox's organisation register (synthetic tt02-style names), for new requests. */
export const OTHER_ORGS = [
  { orgNo: '311851381', name: 'KLOK MANDAG AS' },
  { orgNo: '314961900', name: 'SPRUDLENDE LUNEFULL KATT AS' },
  { orgNo: '314000013', name: 'GRØNN OPTIMISTISK ELG AS' },
  { orgNo: '315000017', name: 'STILLE MODIG REV AS' },
  { orgNo: '316000010', name: 'LYSEGRØNN NYSGJERRIG OTER AS' },
  { orgNo: '317000014', name: 'RASK FORSIKTIG BJØRN AS' },
  { orgNo: '318000018', name: 'BLÅ HØFLIG SEL AS' },
];

/** Resources in the sandbox's resource register: what a system's rights may name. */
export const RESOURCES = [
  {
    id: RESOURCE,
    owner: SERVICE_OWNER.orgNo,
    title: 'Krav og betalinger',
    description: 'Se utestående krav og betalinger hos Skatteetaten',
  },
  {
    id: 'ske-innrapportering-boligselskap',
    owner: SERVICE_OWNER.orgNo,
    title: 'Innrapportering boligselskap',
    description: 'Rapportere opplysninger for boligselskap til Skatteetaten',
  },
];

/**
 * Access packages in the sandbox (a few of Altinn's): `client` packages are meant for client relations (agent
 * system users), the others can be given to a standard system user.
 */
export const ACCESS_PACKAGES = [
  {
    urn: 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet',
    name: 'Regnskapsfører med signeringsrettighet',
    client: true,
  },
  {
    urn: 'urn:altinn:accesspackage:regnskapsforer-uten-signeringsrettighet',
    name: 'Regnskapsfører uten signeringsrettighet',
    client: true,
  },
  { urn: 'urn:altinn:accesspackage:regnskapsforer-lonn', name: 'Regnskapsfører lønn', client: true },
  { urn: 'urn:altinn:accesspackage:ansvarlig-revisor', name: 'Ansvarlig revisor', client: true },
  { urn: 'urn:altinn:accesspackage:skattegrunnlag', name: 'Skattegrunnlag', client: false },
  { urn: 'urn:altinn:accesspackage:merverdiavgift', name: 'Merverdiavgift', client: false },
];
/** The package the accounting firm's agent system user was approved with. */
export const AGENT_PACKAGE = 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet';

/** Maskinporten's self-service API scopes (Digdir): the admin token for `POST /clients`. */
export const DCR_SCOPES = ['idporten:dcr.write', 'idporten:dcr.read'];

/** Name of an organisation in the cast, or undefined. */
export function orgName(orgNo: string): string | undefined {
  if (orgNo === SERVICE_OWNER.orgNo) return SERVICE_OWNER.name;
  if (orgNo === VENDOR.orgNo) return VENDOR.name;
  if (orgNo === ACCOUNTING_FIRM.orgNo) return ACCOUNTING_FIRM.name;
  if (orgNo === NO_SYSTEM_USER.orgNo) return NO_SYSTEM_USER.name;
  return [...STANDARD_USERS, ...OTHER_ORGS].find((o) => o.orgNo === orgNo)?.name;
}
