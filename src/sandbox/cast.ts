import { uuidFromSeed } from '../testing/jws.js';

/** The sandbox's cast (contract §9): who is who in the system-user story. */
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
export const NO_SYSTEM_USER = { orgNo: '314055403' };
