import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { explainToken } from '../../src/explain/explain.js';
import {
  createTestIssuer,
  createTestPdp,
  systemUserIdFor,
  type TestIssuer,
  type TestPdp,
  testEnv,
} from '../../src/testing/index.js';

const OPERATION = {
  operationId: 'hentAapneKrav',
  scope: 'skatteetaten:kravogbetalinger',
  resource: 'ske-krav-og-betalinger',
  action: 'read',
};
const PARTY = '310478717';

let issuer: TestIssuer;
let pdp: TestPdp;
beforeAll(async () => {
  [issuer, pdp] = await Promise.all([createTestIssuer(), createTestPdp()]);
});
afterAll(() => Promise.all([issuer.close(), pdp.close()]));
beforeEach(() => {
  pdp.reset();
  pdp.permit(systemUserIdFor(PARTY), OPERATION.resource, PARTY);
});

/** The whole pipeline, configured from the gateway's environment variables, as `explain --operation` runs it. */
const explain = (token: string, party = PARTY) =>
  explainToken({ token, operation: OPERATION, party, env: testEnv(issuer, pdp) });

describe('explain --operation --party: the first check that refuses, with the code the gateway answers', () => {
  it.each([
    ['expired', () => issuer.forge.expired(), 'token', 'token_invalid', /expired/],
    [
      'from another issuer',
      () => issuer.token({ issuer: 'https://other.invalid/' }),
      'token',
      'token_invalid',
      /another issuer/,
    ],
    [
      'with an unknown kid',
      () => issuer.forge.unknownKid(),
      'token',
      'token_invalid',
      /key the issuer does not publish/,
    ],
    ['without the scope', () => issuer.token({ scope: 'altinn:other' }), 'scope', 'insufficient_scope', /scope/],
    [
      'without a system user',
      () => issuer.token({ authorizationDetails: undefined }),
      'system user',
      'systemuser_missing',
      /system user/,
    ],
  ])('a token %s', async (_name, make, check, code, detail) => {
    const e = await explain(make());
    expect(e.passes).toBe(false);
    expect(e.refusal).toMatchObject({ check, code });
    expect(e.refusal?.detail).toMatch(detail);
    expect(e.checks.find((c) => c.outcome === 'fail')?.check).toBe(check);
    expect(e.checks.filter((c) => c.outcome === 'not run').length).toBeGreaterThan(0);
    expect(e.pdp).toBeUndefined();
    expect(pdp.calls).toHaveLength(0);
  });

  it('a revoked system user: the PDP says Deny, and the XACML request it was sent is shown', async () => {
    pdp.revoke(systemUserIdFor(PARTY));
    const e = await explain(issuer.token());
    expect(e.refusal).toMatchObject({ check: 'decision', status: 403, code: 'access_denied' });
    expect(e.checks.map((c) => c.outcome)).toEqual(['pass', 'pass', 'pass', 'pass', 'fail']);
    expect(e.pdp?.request).toEqual(pdp.calls[0]!.body);
    expect(JSON.stringify(e.pdp?.request)).toContain(systemUserIdFor(PARTY));
    expect(JSON.stringify(e.pdp?.response)).toContain('Deny');
  });

  it('a malformed party: refused at the party, and no PDP call', async () => {
    const e = await explain(issuer.token(), '310478718');
    expect(e.refusal).toMatchObject({ check: 'party', status: 400, code: 'party_invalid' });
    expect(pdp.calls).toHaveLength(0);
  });

  it('the PDP failing: 503 pdp_unavailable at the decision', async () => {
    pdp.setMode('error');
    const e = await explain(issuer.token());
    expect(e.refusal).toMatchObject({ check: 'decision', status: 503, code: 'pdp_unavailable' });
  });

  it('a permitted token passes every check', async () => {
    const e = await explain(issuer.token());
    expect(e.passes).toBe(true);
    expect(e.refusal).toBeUndefined();
    expect(e.checks.map((c) => [c.check, c.outcome])).toEqual([
      ['token', 'pass'],
      ['scope', 'pass'],
      ['system user', 'pass'],
      ['party', 'pass'],
      ['decision', 'pass'],
    ]);
    expect(JSON.stringify(e.pdp?.response)).toContain('Permit');
  });

  it('names the missing variable when the environment is incomplete', async () => {
    await expect(
      explainToken({
        token: issuer.token(),
        operation: OPERATION,
        party: PARTY,
        env: { MASKINPORTEN_ISSUER: issuer.issuer },
      }),
    ).rejects.toThrow(/ALTINN_PDP_URL/);
  });
});

describe('explain without an operation', () => {
  it('describes the token: header, issuer, times relative to now, scopes, the system user', async () => {
    const token = issuer.token({ expiresInSeconds: 3600 });
    const e = await explainToken({ token, now: Date.now() });
    expect(e.token).toMatchObject({
      header: { alg: 'RS256', kid: issuer.kid },
      issuer: issuer.issuer,
      scopes: ['skatteetaten:kravogbetalinger'],
      systemUser: { id: systemUserIdFor(PARTY), orgNo: PARTY, systemId: '314330897_smartregnskap' },
      consumerOrgNo: '314330897',
      expired: false,
    });
    expect(e.token?.expiresAt).toMatch(/^in 60 min \(/);
    expect(e.passes).toBe(true);
    expect(JSON.stringify(e)).not.toContain(token.split('.')[2]);
  });

  it('reading only, it sees an expired token and a text that is no JWT', async () => {
    expect((await explainToken({ token: issuer.forge.expired() })).refusal).toMatchObject({ check: 'token' });
    const garbage = await explainToken({ token: 'not a token' });
    expect(garbage.token).toBeUndefined();
    expect(garbage.passes).toBe(false);
  });

  it('with --issuer: checks the signature with the issuer keys, and says whether the kid is published', async () => {
    const good = await explainToken({ token: issuer.token(), issuer: issuer.issuer });
    expect(good.passes).toBe(true);
    expect(good.keys).toMatchObject({ kidFound: true });
    const forged = await explainToken({ token: issuer.forge.foreignKey(), issuer: issuer.issuer });
    expect(forged.refusal).toMatchObject({ check: 'token', code: 'token_invalid' });
    const unknown = await explainToken({ token: issuer.forge.unknownKid(), issuer: issuer.issuer });
    expect(unknown.keys).toMatchObject({ kidFound: false });
    expect(unknown.refusal).toMatchObject({ check: 'token', code: 'token_invalid' });
    const noUser = await explainToken({
      token: issuer.token({ authorizationDetails: undefined }),
      issuer: issuer.issuer,
    });
    expect(noUser.refusal).toMatchObject({ check: 'system user', code: 'systemuser_missing' });
  });
});
