import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR } from '../../src/sandbox/cast.js';
import type { Signer } from '../../src/sandbox/token-command.js';
import { CHROMIUM_LAUNCH, chromiumAvailable } from '../helpers/chromium.js';
import { runCli, type SandboxProcess, startSandboxProcess } from './process.js';
import { ALL_VENDOR_SCOPES, KRAV_RIGHT, SCOPES, screenshotDir, vendorClient } from './vendor.js';

const TTL_SECONDS = 1;
const SYSTEM_ID = `${VENDOR.orgNo}_regnskapspilot`;
const RETURN = 'https://pilot.example/ferdig';
const CUSTOMER = { orgNo: '317000014', name: 'RASK FORSIKTIG BJØRN AS' };
const FIRM = { orgNo: '318000018', name: 'BLÅ HØFLIG SEL AS' };
const FIRM_CLIENT = { orgNo: '311851381', name: 'KLOK MANDAG AS' };
const LATE = { orgNo: '315000017', name: 'STILLE MODIG REV AS' };
const PACKAGE = 'urn:altinn:accesspackage:regnskapsforer-lonn';

let sandbox: SandboxProcess;
let v: ReturnType<typeof vendorClient>;
let browser: Browser;
const shots = screenshotDir();

beforeAll(async () => {
  sandbox = await startSandboxProcess(['--ttl', String(TTL_SECONDS)]);
  v = vendorClient(sandbox);
  if (chromiumAvailable) browser = await chromium.launch(CHROMIUM_LAUNCH);
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

/** After a change in Altinn, an earlier decision may still be cached for the TTL. */
const afterTtl = () => new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 300));

/** A browser page whose visits to the vendor's return address are answered locally. */
async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.route('https://pilot.example/**', (route) =>
    route.fulfill({ status: 200, body: 'Tilbake hos Regnskapspilot' }),
  );
  return page;
}

describe.skipIf(!chromiumAvailable)('a vendor onboards a second system and its customers approve in a browser', () => {
  let signer: Signer;
  let altinnToken: string;
  const ids: { standard?: string; agent?: string } = {};

  it('gets a Maskinporten client through Digdir’s self-service API and registers the system', async () => {
    signer = await v.onboardClient('regnskapspilot', [SCOPES.api, ...ALL_VENDOR_SCOPES.split(' ')]);
    altinnToken = await v.altinnToken(ALL_VENDOR_SCOPES, signer);
    const registered = await v.altinn('POST', 'systemregister/vendor', altinnToken, {
      id: SYSTEM_ID,
      vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR.orgNo}` },
      name: { nb: 'Regnskapspilot', en: 'Regnskapspilot' },
      description: { nb: 'Regnskap for små bedrifter' },
      rights: [KRAV_RIGHT],
      accessPackages: [{ urn: PACKAGE }],
      clientId: [signer.clientId],
      isVisible: false,
      allowedRedirectUrls: [RETURN],
    });
    expect(registered.status).toBe(200);
    expect(registered.json).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a standard system user: request → approval page in Norwegian with names → token → 200 for the party, 403 for another', async () => {
    const created = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, {
      systemId: SYSTEM_ID,
      partyOrgNo: CUSTOMER.orgNo,
      rights: [KRAV_RIGHT],
      redirectUrl: `${RETURN}?steg=2`,
    });
    expect(created.status).toBe(201);
    const page = await newPage();
    await page.goto(created.json.confirmUrl);
    const text = await page.locator('main').textContent();
    expect(text).toContain(CUSTOMER.name);
    expect(text).toContain('SmartCloud AS');
    expect(text).toContain('Krav og betalinger');
    expect(text).not.toContain('ske-krav-og-betalinger');
    await page.screenshot({ path: join(shots, 'approval-standard.png'), fullPage: true });
    await page.getByRole('button', { name: 'Godkjenn' }).click();
    await page.waitForURL(`${RETURN}?steg=2`);
    await page.close();

    const bearer = await v.token({ org: CUSTOMER.orgNo, scope: SCOPES.api, signer });
    expect((await v.gateway(bearer, CUSTOMER.orgNo)).status).toBe(200);
    expect((await v.gateway(bearer, LATE.orgNo)).status).toBe(403);
    const found = await v.altinn(
      'GET',
      `systemuser/vendor/byquery?system-id=${SYSTEM_ID}&orgno=${CUSTOMER.orgNo}`,
      altinnToken,
    );
    ids.standard = found.json.id;

    // `portvakt token` signs as the new client with its private JWK.
    const keyFile = join(mkdtempSync(join(tmpdir(), 'portvakt-key-')), 'regnskapspilot.jwk.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(signer.privateKey)), kid: signer.kid }));
    const cli = await runCli(['token', '--org', CUSTOMER.orgNo, '--client-id', signer.clientId, '--key', keyFile], {
      PORTVAKT_SANDBOX_MASKINPORTEN: sandbox.maskinportenUrl,
    });
    expect(cli.code).toBe(0);
    expect((await v.gateway(cli.stdout.trim(), CUSTOMER.orgNo)).status).toBe(200);
  });

  it('an agent system user: agent request → approval page → the firm adds a client in the console → 200 for the client', async () => {
    const created = await v.altinn('POST', 'systemuser/request/vendor/agent', altinnToken, {
      systemId: SYSTEM_ID,
      partyOrgNo: FIRM.orgNo,
      accessPackages: [{ urn: PACKAGE }],
      redirectUrl: RETURN,
    });
    expect(created.status).toBe(201);
    const page = await newPage();
    await page.goto(created.json.confirmUrl);
    const text = await page.locator('main').textContent();
    expect(text).toContain(FIRM.name);
    expect(text).toContain('Regnskapsfører lønn');
    await page.screenshot({ path: join(shots, 'approval-agent.png'), fullPage: true });
    await page.getByRole('button', { name: 'Godkjenn' }).click();
    await page.waitForURL(RETURN);

    const firm = await v.token({ org: FIRM.orgNo, scope: SCOPES.api, signer });
    expect((await v.gateway(firm, FIRM_CLIENT.orgNo)).status).toBe(403);
    const agent = await v.altinn(
      'GET',
      `systemuser/vendor/byquery?system-id=${SYSTEM_ID}&orgno=${FIRM.orgNo}`,
      altinnToken,
    );
    expect(agent.json.userType).toBe('agent');
    ids.agent = agent.json.id;

    await page.goto(`${sandbox.altinnUrl}/console`);
    const form = page.locator('form', { has: page.locator(`input[name="id"][value="${ids.agent}"]`) }).filter({
      has: page.getByRole('button', { name: 'Legg til kunde' }),
    });
    await form.getByRole('textbox').fill(FIRM_CLIENT.orgNo);
    await form.getByRole('button', { name: 'Legg til kunde' }).click();
    await expect.poll(() => page.locator('#melding').textContent()).toContain(FIRM_CLIENT.name);
    await page.close();
    await afterTtl();
    expect((await v.gateway(firm, FIRM_CLIENT.orgNo)).status).toBe(200);
  });

  it('the console shows names, approves a pending request, revokes a system user, and logs the gateway’s decisions', async () => {
    const pending = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, {
      systemId: SYSTEM_ID,
      partyOrgNo: LATE.orgNo,
      rights: [KRAV_RIGHT],
    });
    expect(pending.status).toBe(201);
    await expect(v.token({ org: LATE.orgNo, scope: SCOPES.api, signer })).rejects.toThrow(
      /invalid_altinn_customer_configuration/,
    );

    const page = await newPage();
    await page.goto(`${sandbox.altinnUrl}/console`);
    const main = await page.locator('main').textContent();
    for (const name of [CUSTOMER.name, FIRM.name, FIRM_CLIENT.name, 'Regnskapspilot', 'SmartRegnskap']) {
      expect(main).toContain(name);
    }
    await page.locator('tr', { hasText: LATE.name }).getByRole('button', { name: 'Godkjenn' }).click();
    await expect.poll(() => page.locator('#melding').textContent()).toContain('godkjente');
    const late = await v.token({ org: LATE.orgNo, scope: SCOPES.api, signer });
    expect((await v.gateway(late, LATE.orgNo)).status).toBe(200);

    // The live log shows the gateway's PDP question without a reload.
    await expect.poll(() => page.locator('#log').textContent(), { timeout: 10_000 }).toContain(LATE.name);
    expect(await page.locator('#log').textContent()).toContain('Permit');

    const bearer = await v.token({ org: CUSTOMER.orgNo, scope: SCOPES.api, signer });
    expect((await v.gateway(bearer, CUSTOMER.orgNo)).status).toBe(200);
    await page
      .locator('tr', { has: page.locator(`input[name="id"][value="${ids.standard}"]`) })
      .getByRole('button', { name: 'Slett' })
      .click();
    await expect.poll(() => page.locator('#melding').textContent()).toContain('slettet');
    await page.screenshot({ path: join(shots, 'console.png'), fullPage: true });
    await page.close();
    await afterTtl();
    expect((await v.gateway(bearer, CUSTOMER.orgNo)).status).toBe(403);
    await expect(v.token({ org: CUSTOMER.orgNo, scope: SCOPES.api, signer })).rejects.toThrow(
      /invalid_altinn_customer_configuration/,
    );
  });

  it('a rejected request leads back to the console when the vendor gave no redirectUrl', async () => {
    const created = await v.altinn('POST', 'systemuser/request/vendor', altinnToken, {
      systemId: SYSTEM_ID,
      partyOrgNo: '316000010',
      rights: [KRAV_RIGHT],
    });
    const page = await newPage();
    await page.goto(created.json.confirmUrl);
    await page.getByRole('button', { name: 'Avvis' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('avvist');
    await page.getByRole('link', { name: 'Til oversikten' }).click();
    await page.waitForURL(/\/console$/);
    await page.close();
    const status = await v.altinn('GET', `systemuser/request/vendor/${created.json.id}`, altinnToken);
    expect(status.json.status).toBe('Rejected');
  });
});
