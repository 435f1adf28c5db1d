import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR } from '../../src/sandbox/cast.js';
import { JWT_BEARER } from '../../src/sandbox/maskinporten.js';
import { requestSandboxToken } from '../../src/sandbox/token-command.js';
import { systemUserIdFor } from '../../src/testing/jws.js';
import { CHROMIUM, CHROMIUM_LAUNCH, chromiumAvailable } from '../helpers/chromium.js';
import { runCli, type SandboxProcess, startSandboxProcess } from './process.js';

const API = '/api/innkreving/kravogbetalinger/v1';
const PIA = '310478717';
const APE = '313367002';
const FIRM = '314168267';
const FIRM_CLIENT = '311851381';
const NOBODY = '314055403';
const TTL_SECONDS = 1;
const REQUEST_SCOPES = 'altinn:authentication/systemuser.request.read altinn:authentication/systemuser.request.write';

let sandbox: SandboxProcess;

// A process start (tsx compiling the sources, the embedded database loading) is seconds on a quiet machine
// and can be ten times that on a busy one: wait for its banner, however long that takes within reason.
beforeAll(async () => {
  sandbox = await startSandboxProcess(['--ttl', String(TTL_SECONDS)]);
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
});

const token = (org?: string, scope?: string) =>
  requestSandboxToken({ maskinporten: sandbox.maskinportenUrl, ...(org ? { org } : {}), ...(scope ? { scope } : {}) });

const api = (bearer: string, party: string) =>
  fetch(`${sandbox.gatewayUrl}${API}/${party}/aapnekrav`, { headers: { authorization: `Bearer ${bearer}` } });

/** A JSON body, typed as the assertion at hand needs it. */
const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;
const error = async (res: Response) => (await json<{ error: string }>(res)).error;

const altinn = (path: string, init: RequestInit = {}) => fetch(`${sandbox.altinnUrl}${path}`, init);

/** A grant signed with a freshly registered SmartRegnskap key; `claims` override the valid defaults. */
async function grant(claims: Record<string, unknown>, options: { jti?: string } = {}) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const registered = await fetch(`${sandbox.maskinportenUrl}clients/${VENDOR.clientId}/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...jwk, kid }),
  });
  expect(registered.status).toBe(201);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({
    iss: VENDOR.clientId,
    aud: sandbox.maskinportenUrl,
    iat: now,
    exp: now + 60,
    jti: options.jti ?? randomUUID(),
    scope: 'skatteetaten:kravogbetalinger',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(privateKey);
  const post = () =>
    fetch(`${sandbox.maskinportenUrl}token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
    });
  return { post };
}

const systemUserOrg = (org: string) => [
  { type: 'urn:altinn:systemuser', systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${org}` } },
];

describe('portvakt sandbox: the system-user story on loopback', () => {
  it('prints ready-to-paste commands for the running ports', () => {
    expect(sandbox.banner).toContain('TOKEN=$(npx portvakt token --org 310478717)');
    expect(sandbox.banner).toContain(`export PORTVAKT_SANDBOX_MASKINPORTEN=${sandbox.maskinportenUrl}`);
    expect(sandbox.banner).toContain(`${sandbox.altinnUrl}/authentication/api/v1/systemuser/${PIA}/`);
    expect(sandbox.banner).toContain(`${sandbox.altinnUrl}/console`);
    expect(sandbox.banner).toContain('ADMIN=$(npx portvakt token --scope idporten:dcr.write)');
  });

  it('prints a progress line per start-up stage before the commands', () => {
    const progress = sandbox.banner.split('\n').filter((line) => line.startsWith('portvakt sandbox: '));
    for (const stage of [/starting/, /claims database ready/, /Maskinporten listening/, /Altinn listening/, /keys/]) {
      expect(progress.some((line) => stage.test(line))).toBe(true);
    }
    expect(progress.at(-1)).toContain(`gateway listening on ${sandbox.gatewayUrl}`);
  });

  it('serves Maskinporten metadata whose issuer is the sandbox URL', async () => {
    const metadata = await json<{ jwks_uri: string }>(
      await fetch(`${sandbox.maskinportenUrl}.well-known/oauth-authorization-server`),
    );
    expect(metadata).toMatchObject({
      issuer: sandbox.maskinportenUrl,
      token_endpoint: `${sandbox.maskinportenUrl}token`,
    });
    const jwks = await json<{ keys: unknown[] }>(await fetch(metadata.jwks_uri));
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
  });

  it('a standard system user reads its own party (200) and no other (403)', async () => {
    const bearer = await token(PIA);
    const own = await api(bearer, PIA);
    expect(own.status, await own.clone().text()).toBe(200);
    expect((await json(own)).partIdentifikator).toBe(PIA);
    const other = await api(bearer, APE);
    expect(other.status).toBe(403);
    expect((await json(other)).code).toBe('access_denied');
  });

  it('the access token is shaped like Maskinporten’s', async () => {
    const claims = decodeJwt(await token(PIA));
    expect(claims).toMatchObject({
      iss: sandbox.maskinportenUrl,
      client_id: VENDOR.clientId,
      client_amr: 'private_key_jwt',
      token_type: 'Bearer',
      scope: 'skatteetaten:kravogbetalinger',
      consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR.orgNo}` },
      authorization_details: [
        {
          type: 'urn:altinn:systemuser',
          systemuser_id: [systemUserIdFor(PIA)],
          systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${PIA}` },
          system_id: VENDOR.systemId,
        },
      ],
    });
  });

  it('the accounting firm’s agent system user reads its clients (200), not others (403)', async () => {
    const bearer = await token(FIRM);
    expect((await api(bearer, FIRM_CLIENT)).status).toBe(200);
    expect((await api(bearer, '314961900')).status).toBe(200);
    expect((await api(bearer, NOBODY)).status).toBe(403);
  });

  it('Maskinporten refuses bad grants as the real one does', async () => {
    const noSystemUser = await (await grant({ authorization_details: systemUserOrg(NOBODY) })).post();
    expect(noSystemUser.status).toBe(400);
    expect(await error(noSystemUser)).toBe('invalid_altinn_customer_configuration');

    const scope = await (await grant({ scope: 'skatteetaten:something.else' })).post();
    expect(scope.status).toBe(400);
    expect(await error(scope)).toBe('invalid_scope');

    const wrongAudience = await (await grant({ aud: 'https://test.maskinporten.no/' })).post();
    expect(await error(wrongAudience)).toBe('invalid_grant');

    const tooLong = await (await grant({ exp: Math.floor(Date.now() / 1000) + 600 })).post();
    expect(await error(tooLong)).toBe('invalid_grant');

    const once = await grant({ authorization_details: systemUserOrg(PIA) });
    expect((await once.post()).status).toBe(200);
    const replay = await once.post();
    expect(replay.status).toBe(400);
    expect(await error(replay)).toBe('invalid_grant');
  });

  it('a revoked system user loses access within the TTL, and gets no new token', async () => {
    const bearer = await token(APE);
    expect((await api(bearer, APE)).status).toBe(200);
    const revoked = await altinn(`/authentication/api/v1/systemuser/${APE}/${systemUserIdFor(APE)}`, {
      method: 'DELETE',
    });
    expect(revoked.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 300));
    expect((await api(bearer, APE)).status).toBe(403);
    await expect(token(APE)).rejects.toThrow(/invalid_altinn_customer_configuration/);
  });

  it('`portvakt token` prints the token alone, and exits 1 with the reason when refused', async () => {
    const env = { PORTVAKT_SANDBOX_MASKINPORTEN: sandbox.maskinportenUrl };
    const [ok, refused] = await Promise.all([
      runCli(['token', '--org', PIA], env),
      runCli(['token', '--org', NOBODY], env),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect((await api(ok.stdout.trim(), PIA)).status).toBe(200);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('invalid_altinn_customer_configuration');
  });

  it('the vendor-driven flow: request → end user approves on the page → token → API', async () => {
    const maskinportenToken = await token(undefined, REQUEST_SCOPES);
    const exchanged = await altinn('/authentication/api/v1/exchange/maskinporten', {
      headers: { authorization: `Bearer ${maskinportenToken}` },
    });
    expect(exchanged.status).toBe(200);
    const altinnToken = await exchanged.text();
    const vendor = { authorization: `Bearer ${altinnToken}`, 'content-type': 'application/json' };
    const body = {
      systemId: VENDOR.systemId,
      partyOrgNo: NOBODY,
      rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'ske-krav-og-betalinger' }] }],
      redirectUrl: 'http://localhost:3000/done',
    };

    const bad = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify({ ...body, partyOrgNo: '31405540' }),
    });
    // Altinn looks the customer up in the organisation register: an unknown one is AUTH-00000.
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe('AUTH-00000');

    const created = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const request = await json<{ id: string; confirmUrl: string }>(created);
    expect(request).toMatchObject({
      systemId: VENDOR.systemId,
      partyOrgNo: NOBODY,
      externalRef: NOBODY,
      status: 'New',
    });
    expect(created.headers.get('location')).toContain(request.id);
    const again = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify(body),
    });
    expect(again.status).toBe(200);
    expect((await json(again)).id).toBe(request.id);

    const page = await fetch(request.confirmUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('value="approve"');
    const approved = await fetch(new URL(request.confirmUrl).pathname.replace(/^/, sandbox.altinnUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: request.id, action: 'approve' }),
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe(body.redirectUrl);
    const status = await altinn(`/authentication/api/v1/systemuser/request/vendor/${request.id}`, { headers: vendor });
    expect((await json(status)).status).toBe('Accepted');

    const bearer = await token(NOBODY);
    expect((await api(bearer, NOBODY)).status).toBe(200);

    const exists = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify({ ...body, partyOrgNo: PIA }),
    });
    expect(exists.status).toBe(400);
    expect((await json(exists)).code).toBe('AUTH-00004');

    // Listing system users takes the system register scope, as in Altinn.
    const registerToken = await token(undefined, 'altinn:authentication/systemregister.write');
    const list = await altinn(`/authentication/api/v1/systemuser/vendor/bysystem/${VENDOR.systemId}`, {
      headers: { authorization: `Bearer ${registerToken}` },
    });
    expect(
      (await json<{ data: { reporteeOrgNo: string }[] }>(list)).data.map(
        (u: { reporteeOrgNo: string }) => u.reporteeOrgNo,
      ),
    ).toContain(NOBODY);
  });
  it('a rejected request yields no system user and no token', async () => {
    const org = '314000013';
    const altinnToken = await (
      await altinn('/authentication/api/v1/exchange/maskinporten', {
        headers: { authorization: `Bearer ${await token(undefined, REQUEST_SCOPES)}` },
      })
    ).text();
    const vendor = { authorization: `Bearer ${altinnToken}`, 'content-type': 'application/json' };
    const created = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify({
        systemId: VENDOR.systemId,
        partyOrgNo: org,
        rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'ske-krav-og-betalinger' }] }],
        redirectUrl: 'http://localhost:3000/done',
      }),
    });
    expect(created.status).toBe(201);
    const request = await json<{ id: string; confirmUrl: string }>(created);
    const rejected = await fetch(new URL(request.confirmUrl).pathname.replace(/^/, sandbox.altinnUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: request.id, action: 'reject' }),
      redirect: 'manual',
    });
    expect(rejected.status).toBe(303);
    const status = await altinn(`/authentication/api/v1/systemuser/request/vendor/${request.id}`, { headers: vendor });
    expect((await json(status)).status).toBe('Rejected');
    await expect(token(org)).rejects.toThrow(/invalid_altinn_customer_configuration/);
  });

  it('end-user-driven: the end user creates the system user in Altinn, the vendor gets a token', async () => {
    const org = '315000017';
    await expect(token(org)).rejects.toThrow(/invalid_altinn_customer_configuration/);
    const created = await altinn(`/authentication/api/v1/systemuser/${org}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ systemId: VENDOR.systemId, integrationTitle: 'Regnskap' }),
    });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ systemId: VENDOR.systemId, integrationTitle: 'Regnskap' });
    expect((await api(await token(org), org)).status).toBe(200);
  });

  it('client delegation: the firm adds a client, reads it, removes it, and loses access within the TTL', async () => {
    const client = '316000010';
    const agent = systemUserIdFor(FIRM);
    const firm = await token(FIRM);
    expect((await api(firm, client)).status).toBe(403);
    const clientsUrl = `/authentication/api/v1/enduser/systemuser/clients?agent=${agent}&client=${client}`;
    expect((await altinn(clientsUrl, { method: 'POST' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 200)); // the earlier 403 may be cached ≤ TTL
    expect((await api(firm, client)).status).toBe(200);
    expect((await altinn(clientsUrl, { method: 'DELETE' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 200));
    expect((await api(firm, client)).status).toBe(403);
  });

  it('the end user approves in a browser and lands on the vendor’s redirectUrl', async (ctx) => {
    if (!chromiumAvailable) {
      console.warn(`skipping the browser test: ${CHROMIUM} is missing`);
      return ctx.skip();
    }
    // APE's seeded system user goes first (another test may already have revoked it), so a request is new.
    await altinn(`/authentication/api/v1/systemuser/${APE}/${systemUserIdFor(APE)}`, { method: 'DELETE' });
    const vendor = {
      authorization: `Bearer ${await token(undefined, REQUEST_SCOPES)}`,
      'content-type': 'application/json',
    };
    const redirectUrl = `${sandbox.gatewayUrl}/health/live`;
    const created = await altinn('/authentication/api/v1/systemuser/request/vendor', {
      method: 'POST',
      headers: vendor,
      body: JSON.stringify({
        systemId: VENDOR.systemId,
        partyOrgNo: APE,
        rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'ske-krav-og-betalinger' }] }],
        redirectUrl,
      }),
    });
    expect(created.status).toBe(201);
    const { confirmUrl } = await json<{ confirmUrl: string }>(created);

    const browser = await chromium.launch(CHROMIUM_LAUNCH);
    try {
      const page = await browser.newPage();
      await page.goto(confirmUrl);
      await page.getByRole('button', { name: 'Godkjenn' }).click();
      await page.waitForURL(redirectUrl);
    } finally {
      await browser.close();
    }
    expect((await api(await token(APE), APE)).status).toBe(200);
  });
});

describe('portvakt sandbox start-up', () => {
  it('a port in use is one clear line and exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli([
        'sandbox',
        '--port',
        '0',
        '--altinn-port',
        '0',
        '--maskinporten-port',
        String(port),
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`port ${port}`);
      expect(result.stderr).toContain('--maskinporten-port');
    } finally {
      blocker.close();
    }
  });
});
