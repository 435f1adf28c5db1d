/** The sandbox's cast (contract §9): who is who in the system-user story. */
export const SERVICE_OWNER = { orgNo: '974761076', name: 'Skatteetaten' };
export const VENDOR = { orgNo: '314330897', name: 'SmartCloud AS', systemId: '314330897_smartregnskap' };
export const RESOURCE = 'ske-krav-og-betalinger';
export const SCOPE = 'skatteetaten:kravogbetalinger';

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
