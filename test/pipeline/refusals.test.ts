import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemUserIdFor } from '../../src/testing/index.js';
import {
  expectProblem,
  KRAV,
  type LibraryWorld,
  RORVANN,
  RORVANN_USER,
  startLibraryWorld,
} from '../helpers/library-world.js';

let world: LibraryWorld;
beforeAll(async () => {
  world = await startLibraryWorld();
});
afterAll(() => world.close());
beforeEach(() => world.reset());

describe('scope', () => {
  it.each([
    ['a longer scope that starts with it', 'skatteetaten:kravogbetalinger.admin'],
    ['another scope', 'altinn:something'],
    ['the scope as a substring', 'xskatteetaten:kravogbetalinger'],
    ['an empty scope', ''],
  ])('refuses %s with 403 insufficient_scope', async (_name, scope) => {
    const res = await world.get(RORVANN, world.issuer.token({ scope }));
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="skatteetaten:kravogbetalinger"',
    );
  });

  it('refuses a token without a scope claim', async () => {
    expectProblem(await world.get(RORVANN, world.issuer.token({ scope: null })), 403, 'insufficient_scope');
  });

  it('accepts the scope among others', async () => {
    const res = await world.get(RORVANN, world.issuer.token({ scope: 'a:b skatteetaten:kravogbetalinger c:d' }));
    expect(res.status).toBe(200);
    expect(res.body.scopes).toEqual(['a:b', 'skatteetaten:kravogbetalinger', 'c:d']);
  });
});

describe('system user', () => {
  const entry = (changes: Record<string, unknown>) => [
    {
      type: 'urn:altinn:systemuser',
      systemuser_id: [RORVANN_USER],
      systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${RORVANN}` },
      system_id: '314330897_smartregnskap',
      ...changes,
    },
  ];

  it.each([
    ['a string', 'urn:altinn:systemuser'],
    ['a number', 42],
    ['null', null],
    ['an empty list', []],
    ['a list of null', [null]],
    ['another type only', [{ type: 'urn:altinn:other' }]],
    ['missing systemuser_id', entry({ systemuser_id: undefined })],
    ['systemuser_id not an array', entry({ systemuser_id: RORVANN_USER })],
    ['systemuser_id empty', entry({ systemuser_id: [] })],
    ['systemuser_id [null]', entry({ systemuser_id: [null] })],
    ['systemuser_id not a uuid', entry({ systemuser_id: ['not-a-uuid'] })],
    ['missing systemuser_org', entry({ systemuser_org: undefined })],
    ['systemuser_org without an ID', entry({ systemuser_org: { authority: 'iso6523-actorid-upis' } })],
    ['systemuser_org not 0192', entry({ systemuser_org: { ID: `9908:${RORVANN}` } })],
    ['missing system_id', entry({ system_id: undefined })],
    ['deeply nested junk', entry({ systemuser_org: { ID: { a: { b: { c: [[[[1]]]] } } } } })],
  ])('refuses authorization_details as %s with 403 systemuser_missing', async (_name, details) => {
    const res = await world.get(RORVANN, world.issuer.token({ authorizationDetails: details }));
    expectProblem(res, 403, 'systemuser_missing');
    expect(world.pdp.calls).toHaveLength(0);
  });

  it('refuses a token without authorization_details', async () => {
    const res = await world.get(RORVANN, world.issuer.token({ authorizationDetails: undefined }));
    expectProblem(res, 403, 'systemuser_missing');
  });

  it('accepts `id` as well as `ID` and asks the PDP about the first systemuser_id', async () => {
    const second = systemUserIdFor('999999999');
    const details = entry({ systemuser_id: [RORVANN_USER, second], systemuser_org: { id: `0192:${RORVANN}` } });
    const res = await world.get(RORVANN, world.issuer.token({ authorizationDetails: details }));
    expect(res.status).toBe(200);
    expect(res.body.systemUser).toEqual({ id: RORVANN_USER, orgNo: RORVANN });
    expect(world.pdp.calls[0]?.query?.systemUserId).toBe(RORVANN_USER);
  });

  it('reads an agent (client delegation) system user and asks for the client party', async () => {
    const firm = '314168267';
    const client = '311851381';
    const agent = systemUserIdFor(firm);
    world.pdp.permit(agent, KRAV.resource, client);
    const res = await world.get(client, world.issuer.token({ org: firm }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ party: client, systemUser: { id: agent, orgNo: firm } });
    expectProblem(await world.get('314961900', world.issuer.token({ org: firm })), 403, 'access_denied');
  });
});

describe('party', () => {
  it.each([
    ['8 digits', '31047871'],
    ['10 digits', '3104787170'],
    ['letters', '31047871A'],
    ['a wrong check digit', '310478718'],
    ['a check digit of 10', '000000010'],
    ['encoded spaces', '310%20478717'],
    ['a leading space', '%20310478717'],
    ['a plus sign', '+310478717'],
    ['unicode digits', '%D9%A3%D9%A1%D9%A0478717'],
  ])('refuses %s with 400 party_invalid and no PDP call', async (_name, party) => {
    const res = await world.get(party, world.issuer.token());
    expectProblem(res, 400, 'party_invalid');
    expect(world.pdp.calls).toHaveLength(0);
  });

  it('checks the token before the party: an anonymous caller learns nothing about parameters', async () => {
    expectProblem(await world.get('12345'), 401, 'token_missing');
    expectProblem(await world.get('12345', world.issuer.token({ scope: 'x' })), 403, 'insufficient_scope');
  });
});
