import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR } from '../../src/sandbox/cast.js';
import { systemUserIdFor } from '../../src/testing/jws.js';
import { runCli, type SandboxProcess, startSandboxProcess } from './process.js';
import { ALL_VENDOR_SCOPES, KRAV_RIGHT, SCOPES, vendorClient } from './vendor.js';

const PIA = '310478717';
const FIRM = '314168267';
const NOBODY = '314055403';
const AGENT_PACKAGE = 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet';

let sandbox: SandboxProcess;
let v: ReturnType<typeof vendorClient>;
let altinnToken: string;

beforeAll(async () => {
  sandbox = await startSandboxProcess();
  v = vendorClient(sandbox);
  altinnToken = await v.altinnToken(ALL_VENDOR_SCOPES);
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A system body as Altinn's docs write it; `overrides` replace members. */
const system = (name: string, overrides: Record<string, unknown> = {}) => ({
  id: `${VENDOR.orgNo}_${name}`,
  vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR.orgNo}` },
  name: { nb: name, en: name },
  description: { nb: `${name} fra SmartCloud` },
  rights: [KRAV_RIGHT],
  accessPackages: [],
  clientId: [crypto.randomUUID()],
  isVisible: true,
  allowedRedirectUrls: ['https://smartcloud.example/ferdig'],
  ...overrides,
});

const request = (overrides: Record<string, unknown> = {}) => ({
  systemId: VENDOR.systemId,
  partyOrgNo: '317000014',
  rights: [KRAV_RIGHT],
  ...overrides,
});

describe('the sandbox Altinn answers as altinn-authentication does', () => {
  it('lists a vendor’s requests by system, standard and agent, and finds agent requests by externalRef', async () => {
    const created = await v.altinn('POST', 'systemuser/request/vendor/agent', altinnToken, {
      systemId: VENDOR.systemId,
      partyOrgNo: '318000018',
      externalRef: 'kunde-42',
      accessPackages: [{ urn: AGENT_PACKAGE }],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ externalRef: 'kunde-42', accessPackages: [{ urn: AGENT_PACKAGE }] });
    expect(created.json.rights).toBeUndefined();

    const agents = await v.altinn('GET', `systemuser/request/vendor/agent/bysystem/${VENDOR.systemId}`, altinnToken);
    expect(agents.status).toBe(200);
    expect(agents.json.links).toEqual({ next: null });
    expect(agents.json.data.map((r: { id: string }) => r.id)).toContain(created.json.id);

    const standard = await v.altinn('GET', `systemuser/request/vendor/bysystem/${VENDOR.systemId}`, altinnToken);
    expect(standard.status).toBe(200);
    expect(standard.json.data.map((r: { id: string }) => r.id)).not.toContain(created.json.id);

    const byRef = await v.altinn(
      'GET',
      `systemuser/request/vendor/agent/byexternalref/${VENDOR.systemId}/318000018/kunde-42`,
      altinnToken,
    );
    expect(byRef.status).toBe(200);
    expect(byRef.json.id).toBe(created.json.id);
    const agentById = await v.altinn('GET', `systemuser/request/vendor/agent/${created.json.id}`, altinnToken);
    expect(agentById.status).toBe(200);
  });

  it('reads a system’s rights without a token, and finds seeded system users by query', async () => {
    const rights = await v.altinn('GET', `systemregister/vendor/${VENDOR.systemId}/rights`);
    expect(rights.status).toBe(200);
    expect(rights.json).toEqual([KRAV_RIGHT]);

    const found = await v.altinn(
      'GET',
      `systemuser/vendor/byquery?system-id=${VENDOR.systemId}&orgno=${PIA}&external-ref=${PIA}`,
      altinnToken,
    );
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ id: systemUserIdFor(PIA), reporteeOrgNo: PIA, userType: 'standard' });
    const agent = await v.altinn(
      'GET',
      `systemuser/vendor/byquery?system-id=${VENDOR.systemId}&orgno=${FIRM}`,
      altinnToken,
    );
    expect(agent.json).toMatchObject({ userType: 'agent' });
    const missing = await v.altinn(
      'GET',
      `systemuser/vendor/byquery?system-id=${VENDOR.systemId}&orgno=${NOBODY}`,
      altinnToken,
    );
    expect(missing.status).toBe(404);
  });

  it('binds property names in any casing, as ASP.NET Core does', async () => {
    const body = system('casing', {
      allowedRedirectUrls: undefined,
      accessPackages: undefined,
      rights: undefined,
      isVisible: undefined,
    });
    const registered = await v.altinn('POST', 'systemregister/vendor', altinnToken, {
      ...body,
      Rights: [{ Resource: [{ ID: 'urn:altinn:resource', Value: 'ske-krav-og-betalinger' }] }],
      accesspackages: [{ URN: AGENT_PACKAGE }],
      isvisible: false,
      allowedredirecturls: ['https://smartcloud.example/ferdig'],
    });
    expect(registered.status).toBe(200);
    const read = await v.altinn('GET', `systemregister/vendor/${body.id}`, altinnToken);
    expect(read.json).toMatchObject({
      rights: [KRAV_RIGHT],
      accessPackages: [{ urn: AGENT_PACKAGE }],
      isVisible: false,
      allowedRedirectUrls: ['https://smartcloud.example/ferdig'],
    });
    const agent = await v.altinn('POST', 'systemuser/request/vendor/agent', altinnToken, {
      systemid: body.id,
      PARTYORGNO: '318000018',
      accesspackages: [{ urn: AGENT_PACKAGE }],
      redirecturl: 'https://smartcloud.example/ferdig?kunde=1',
    });
    expect(agent.status).toBe(201);
    expect(agent.json).toMatchObject({ accessPackages: [{ urn: AGENT_PACKAGE }], redirectUrl: expect.any(String) });
  });

  it('PUT answers { succeeded: true } and DELETE marks the system deleted', async () => {
    const body = system('oppdatert');
    expect((await v.altinn('POST', 'systemregister/vendor', altinnToken, body)).status).toBe(200);
    const put = await v.altinn('PUT', `systemregister/vendor/${body.id}`, altinnToken, {
      ...body,
      name: { nb: 'Oppdatert' },
    });
    expect(put).toMatchObject({ status: 200, json: { succeeded: true } });
    const del = await v.altinn('DELETE', `systemregister/vendor/${body.id}`, altinnToken);
    expect(del).toMatchObject({ status: 200, json: { succeeded: true } });
  });

  it('a revoked system user’s externalRef is answered with its request again; a live one is AUTH-00004', async () => {
    const exists = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ partyOrgNo: PIA }));
    expect(exists).toMatchObject({ status: 400, json: { code: 'AUTH-00004' } });
  });

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, asserted field by field
  type Case = [string, () => Promise<{ status: number; json: any }>, number, string | undefined];
  const cases: Case[] = [
    [
      'an unknown systemId',
      () =>
        v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ systemId: `${VENDOR.orgNo}_finnesikke` })),
      404,
      'AUTH-00011',
    ],
    [
      'a redirectUrl not allowed',
      () =>
        v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ redirectUrl: 'https://evil.example/' })),
      400,
      'AUTH-00021',
    ],
    [
      'a right not on the system',
      () =>
        v.altinn(
          'POST',
          'systemuser/request/vendor',
          altinnToken,
          request({
            rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'ske-innrapportering-boligselskap' }] }],
          }),
        ),
      400,
      'AUTH-00001',
    ],
    [
      'a standard request with rights: []',
      () => v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ rights: [] })),
      400,
      'AUTH-00059',
    ],
    [
      'a standard request with neither rights nor packages',
      () => v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ rights: undefined })),
      400,
      'AUTH-00001',
    ],
    [
      'a customer that is not a registered organisation',
      () => v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ partyOrgNo: '999999999' })),
      400,
      'AUTH-00000',
    ],
    [
      'an agent request with no access package',
      () =>
        v.altinn(
          'POST',
          'systemuser/request/vendor/agent',
          altinnToken,
          request({ rights: undefined, accessPackages: [] }),
        ),
      400,
      'AUTH-00058',
    ],
    [
      'an agent request with a package the system does not declare',
      () =>
        v.altinn(
          'POST',
          'systemuser/request/vendor/agent',
          altinnToken,
          request({ rights: undefined, accessPackages: [{ urn: 'urn:altinn:accesspackage:ansvarlig-revisor' }] }),
        ),
      400,
      'AUTH-00063',
    ],
    [
      'an unknown request id',
      () => v.altinn('GET', `systemuser/request/vendor/${crypto.randomUUID()}`, altinnToken),
      404,
      'AUTH-00010',
    ],
    [
      'a system id without the vendor’s org prefix',
      () => v.altinn('POST', 'systemregister/vendor', altinnToken, system('x', { id: '999999999_x' })),
      400,
      'AUTH.VLD-00001',
    ],
    [
      'a duplicate system id',
      () => v.altinn('POST', 'systemregister/vendor', altinnToken, system('smartregnskap')),
      400,
      'AUTH.VLD-00002',
    ],
    [
      'a clientId already tied to another system',
      () => v.altinn('POST', 'systemregister/vendor', altinnToken, system('klient', { clientId: [VENDOR.clientId] })),
      400,
      'AUTH.VLD-00004',
    ],
    [
      'an http:// redirect URL',
      () =>
        v.altinn(
          'POST',
          'systemregister/vendor',
          altinnToken,
          system('http', { allowedRedirectUrls: ['http://smartcloud.example/'] }),
        ),
      400,
      'AUTH.VLD-00005',
    ],
    [
      'an unknown resource',
      () =>
        v.altinn(
          'POST',
          'systemregister/vendor',
          altinnToken,
          system('ukjent', { rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'finnes-ikke' }] }] }),
        ),
      400,
      'AUTH.VLD-00003',
    ],
    [
      'an unknown access package',
      () =>
        v.altinn(
          'POST',
          'systemregister/vendor',
          altinnToken,
          system('pakke', { accessPackages: [{ urn: 'urn:altinn:accesspackage:finnes-ikke' }] }),
        ),
      400,
      'AUTH.VLD-00008',
    ],
    [
      'a client package on a visible system',
      () =>
        v.altinn(
          'POST',
          'systemregister/vendor',
          altinnToken,
          system('synlig', { accessPackages: [{ urn: AGENT_PACKAGE }] }),
        ),
      400,
      'AUTH.VLD-00018',
    ],
    [
      'another vendor’s system (registering as Skatteetaten)',
      () =>
        v.altinn(
          'POST',
          'systemregister/vendor',
          altinnToken,
          system('x', { id: '974761076_x', vendor: { ID: '0192:974761076' } }),
        ),
      403,
      undefined,
    ],
    [
      'PUT with a body id unlike the path',
      () => v.altinn('PUT', `systemregister/vendor/${VENDOR.systemId}`, altinnToken, system('annen')),
      400,
      'AUTH.VLD-00012',
    ],
    [
      'reading a system without the register scope',
      async () => v.altinn('GET', `systemregister/vendor/${VENDOR.systemId}`, await v.altinnToken(SCOPES.requestRead)),
      403,
      undefined,
    ],
    [
      'creating a request without the write scope',
      async () => v.altinn('POST', 'systemuser/request/vendor', await v.altinnToken(SCOPES.requestRead), request()),
      403,
      undefined,
    ],
    [
      'listing system users without the register scope',
      async () =>
        v.altinn(
          'GET',
          `systemuser/vendor/bysystem/${VENDOR.systemId}`,
          await v.altinnToken(`${SCOPES.requestRead} ${SCOPES.requestWrite}`),
        ),
      403,
      undefined,
    ],
    ['no token at all', () => v.altinn('GET', 'systemregister/vendor'), 401, undefined],
    [
      'a client delegation without an agent',
      () => v.altinn('POST', 'enduser/systemuser/clients?client=311851381'),
      400,
      'AUTH.VLD-00014',
    ],
    [
      'a client delegation to a standard system user',
      () => v.altinn('POST', `enduser/systemuser/clients?agent=${systemUserIdFor(PIA)}&client=311851381`),
      400,
      'AUTH.VLD-00015',
    ],
    [
      'a client that is not a registered organisation',
      () => v.altinn('POST', `enduser/systemuser/clients?agent=${systemUserIdFor(FIRM)}&client=999999999`),
      400,
      'AUTH-00079',
    ],
  ];
  it.each(cases)('%s', async (_name, call, status, code) => {
    const res = await call();
    expect(res.status).toBe(status);
    const codes = [res.json?.code, ...(res.json?.validationErrors ?? []).map((e: { code: string }) => e.code)];
    if (code) expect(codes).toContain(code);
    else expect(res.json?.code).toBeUndefined();
  });

  it('the same (system, org, externalRef) again is the same request (200)', async () => {
    const first = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ externalRef: 'igjen' }));
    expect(first.status).toBe(201);
    const again = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, request({ externalRef: 'igjen' }));
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    const deleted = await v.altinn('DELETE', `systemuser/request/vendor/${first.json.id}`, altinnToken);
    expect(deleted.status).toBe(202);
  });
});

describe('change requests', () => {
  const APE = '313367002';
  const path = (correlationId: string, systemUserId = systemUserIdFor(APE)) =>
    `systemuser/changerequest/vendor?correlation-id=${correlationId}&system-user-id=${systemUserId}`;

  it('the end user approves taking a right away, and the gateway then refuses', async () => {
    // (No call to the gateway before the change: its decision cache would answer for the TTL.)
    const missing = await v.altinn(
      'POST',
      `systemuser/changerequest/vendor?system-user-id=${systemUserIdFor(APE)}`,
      altinnToken,
      {},
    );
    expect(missing.status).toBe(400);
    const notOnSystem = await v.altinn('POST', path(crypto.randomUUID()), altinnToken, {
      requiredRights: [{ resource: [{ id: 'urn:altinn:resource', value: 'ske-innrapportering-boligselskap' }] }],
    });
    expect(notOnSystem).toMatchObject({ status: 400, json: { code: 'AUTH-00001' } });
    const nothing = await v.altinn('POST', path(crypto.randomUUID()), altinnToken, {});
    expect(nothing).toMatchObject({ status: 200, json: { status: 'NoChangeNeeded' } });

    const correlationId = crypto.randomUUID();
    const created = await v.altinn('POST', path(correlationId), altinnToken, { UnwantedRights: [KRAV_RIGHT] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: correlationId, status: 'New', unwantedRights: [KRAV_RIGHT] });
    const again = await v.altinn('POST', path(correlationId), altinnToken, { unwantedRights: [KRAV_RIGHT] });
    expect(again).toMatchObject({ status: 200, json: { id: correlationId } });

    const page = await fetch(created.json.confirmUrl);
    expect(await page.text()).toContain('Systemet mister');
    const approved = await fetch(`${sandbox.altinnUrl}/accessmanagement/ui/systemuser/changerequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: correlationId, action: 'approve' }),
    });
    expect(approved.status).toBe(200);
    const status = await v.altinn('GET', `systemuser/changerequest/vendor/${correlationId}`, altinnToken);
    expect(status.json.status).toBe('Accepted');
    const fresh = await v.token({ org: APE });
    expect((await v.gateway(fresh, APE)).status).toBe(403);
  });
});

describe('Maskinporten’s self-service API and `portvakt token`', () => {
  it('refuses key registration on /jwks without an admin token', async () => {
    const res = await fetch(`${sandbox.maskinportenUrl}clients/${VENDOR.clientId}/jwks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [] }),
    });
    expect(res.status).toBe(401);
  });

  it('creates a client only with scopes the organisation has', async () => {
    const admin = await v.token({ scope: SCOPES.dcrWrite });
    const res = await fetch(`${sandbox.maskinportenUrl}clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'x', integration_type: 'maskinporten', scopes: ['nav:secret'] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client_metadata');

    const signer = await v.onboardClient('egen', [SCOPES.api]);
    const list = await fetch(`${sandbox.maskinportenUrl}clients`, { headers: { authorization: `Bearer ${admin}` } });
    expect(((await list.json()) as { client_id: string }[]).map((c) => c.client_id)).toContain(signer.clientId);
    // Its keys go through /jwks with the admin token, not the sandbox's bootstrap endpoint.
    const bootstrap = await fetch(`${sandbox.maskinportenUrl}clients/${signer.clientId}/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify((await v.keyPair('x')).publicJwk),
    });
    expect(bootstrap.status).toBe(403);
  });

  it('`portvakt token --scope` mints the vendor’s own token; refusals name what is missing', async () => {
    const env = { PORTVAKT_SANDBOX_MASKINPORTEN: sandbox.maskinportenUrl };
    const [own, nothing, ref] = await Promise.all([
      runCli(['token', '--scope', SCOPES.registerWrite], env),
      runCli(['token'], env),
      runCli(['token', '--org', NOBODY, '--external-ref', 'abc'], env),
    ]);
    expect(own.code).toBe(0);
    const claims = decodeJwt(own.stdout.trim());
    expect(claims.scope).toBe(SCOPES.registerWrite);
    expect(claims.authorization_details).toBeUndefined();
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/--org/);
    expect(nothing.stderr).toMatch(/--scope/);
    expect(ref.code).toBe(1);
    expect(ref.stderr).toContain('externalRef abc');
  });
});
