import type { TokenKind } from './authority.js';

/** The authorization matrix every secured operation goes through, in this order. */
export type CaseId =
  | 'no-token'
  | 'malformed-token'
  | 'expired-token'
  | 'other-issuer'
  | 'missing-scope'
  | 'no-system-user'
  | 'malformed-party'
  | 'other-party'
  | 'pdp-down'
  | 'permitted';

/** The challenge a 401/403 must carry (RFC 6750 §3). */
export type Challenge = 'bearer' | 'invalid_token' | 'insufficient_scope';

export interface MatrixCase {
  id: CaseId;
  /** What is sent, in words. */
  description: string;
  /** How the Authorization header is made: a token kind, a fixed text, or none. */
  authorization: { token: TokenKind } | { raw: string } | undefined;
  party: 'party' | 'other' | 'malformed' | 'fresh';
  /** The refusal expected; undefined for the permitted call (a documented 2xx). */
  refusal?: { status: number; code: string; challenge?: Challenge; retryAfter?: boolean };
  /** The answer must come before any PDP call (checked where the tester sees the PDP). */
  beforePdp?: boolean;
  /** Needs the tester to take the PDP down. */
  pdpDown?: boolean;
}

export const MATRIX: readonly MatrixCase[] = [
  {
    id: 'no-token',
    description: 'no Authorization header',
    authorization: undefined,
    party: 'party',
    refusal: { status: 401, code: 'token_missing', challenge: 'bearer' },
    beforePdp: true,
  },
  {
    id: 'malformed-token',
    description: 'a Bearer value that is not a JWS',
    authorization: { raw: 'Bearer not-a.jwt' },
    party: 'party',
    refusal: { status: 401, code: 'token_invalid', challenge: 'invalid_token' },
    beforePdp: true,
  },
  {
    id: 'expired-token',
    description: 'a token that expired ten minutes ago',
    authorization: { token: 'expired' },
    party: 'party',
    refusal: { status: 401, code: 'token_invalid', challenge: 'invalid_token' },
    beforePdp: true,
  },
  {
    id: 'other-issuer',
    description: 'a token whose iss is another issuer',
    authorization: { token: 'other-issuer' },
    party: 'party',
    refusal: { status: 401, code: 'token_invalid', challenge: 'invalid_token' },
    beforePdp: true,
  },
  {
    id: 'missing-scope',
    description: "a token without the operation's scope",
    authorization: { token: 'no-scope' },
    party: 'party',
    refusal: { status: 403, code: 'insufficient_scope', challenge: 'insufficient_scope' },
    beforePdp: true,
  },
  {
    id: 'no-system-user',
    description: 'a token without a system user',
    authorization: { token: 'no-system-user' },
    party: 'party',
    refusal: { status: 403, code: 'systemuser_missing' },
    beforePdp: true,
  },
  {
    id: 'malformed-party',
    description: 'a party with a wrong check digit',
    authorization: { token: 'permitted' },
    party: 'malformed',
    refusal: { status: 400, code: 'party_invalid' },
    beforePdp: true,
  },
  {
    id: 'other-party',
    description: 'a party the system user may not act for',
    authorization: { token: 'permitted' },
    party: 'other',
    refusal: { status: 403, code: 'access_denied' },
  },
  {
    id: 'pdp-down',
    description: 'the PDP failing (a party with no cached decision)',
    authorization: { token: 'permitted' },
    party: 'fresh',
    refusal: { status: 503, code: 'pdp_unavailable', retryAfter: true },
    pdpDown: true,
  },
  {
    id: 'permitted',
    description: 'a permitted system user and party',
    authorization: { token: 'permitted' },
    party: 'party',
  },
];
