import type { TestIssuer } from '../testing/issuer.js';
import { systemUserIdFor } from '../testing/jws.js';
import type { TestPdp } from '../testing/pdp.js';
import type { ContractOperation } from './operations.js';

/** The tokens the matrix sends; each is otherwise valid, so the one defect is what a target must refuse. */
export type TokenKind = 'permitted' | 'no-scope' | 'no-system-user' | 'expired' | 'other-issuer';

/**
 * Where tokens and decisions come from: the sandbox, or the testing kit's issuer and PDP. The target
 * must trust its issuer and ask its PDP.
 */
export interface Authority {
  /** What the report calls it. */
  readonly name: string;
  /** A party the system user may act for. */
  readonly party: string;
  /** A valid organization number the system user may not act for. */
  readonly otherParty: string;
  /** Makes sure the system user may do the operation for `party` (the kit's PDP needs a grant). */
  prepare(operation: ContractOperation): Promise<void>;
  token(kind: TokenKind, operation: ContractOperation): Promise<string>;
  /** Present where the tester runs the PDP: to take it down and to count the calls it gets. */
  readonly pdp?: {
    setDown(down: boolean): Promise<void>;
    calls(): Promise<number>;
  };
}

/** Rør og Vann AS and an organization with no system user: the demo cast both kit and sandbox share. */
export const DEMO_PARTY = '310478717';
export const DEMO_OTHER_PARTY = '314055403';

export interface KitAuthorityOptions {
  issuer: TestIssuer;
  pdp: TestPdp;
  party?: string | undefined;
  otherParty?: string | undefined;
}

/** Tokens from the testing kit's issuer, decisions from its PDP (grants are made for `party`). */
export function kitAuthority(options: KitAuthorityOptions): Authority {
  const { issuer, pdp } = options;
  const party = options.party ?? DEMO_PARTY;
  const tokens: Record<TokenKind, (op: ContractOperation) => string> = {
    permitted: (op) => issuer.token({ org: party, scope: op.scope }),
    // A longer scope that merely starts with the right one: only a whole-word match refuses it.
    'no-scope': (op) => issuer.token({ org: party, scope: `${op.scope}.admin` }),
    'no-system-user': (op) => issuer.token({ org: party, scope: op.scope, authorizationDetails: undefined }),
    expired: (op) => issuer.forge.expired({ org: party, scope: op.scope }),
    'other-issuer': (op) => issuer.token({ org: party, scope: op.scope, issuer: 'https://other-issuer.invalid/' }),
  };
  return {
    name: `testing kit (issuer ${issuer.issuer})`,
    party,
    otherParty: options.otherParty ?? DEMO_OTHER_PARTY,
    async prepare(op) {
      pdp.permit(systemUserIdFor(party), op.resource, party, op.action);
    },
    async token(kind, op) {
      return tokens[kind](op);
    },
    pdp: {
      async setDown(down) {
        pdp.setMode(down ? 'error' : 'normal');
      },
      async calls() {
        return pdp.calls.length;
      },
    },
  };
}
