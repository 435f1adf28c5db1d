import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_LAUNCH, chromiumAvailable } from '../helpers/chromium.js';
import { type GatewayWorld, startGatewayWorld } from '../helpers/gateway-world.js';

const available = chromiumAvailable;
if (!available) {
  console.warn(
    `docs.browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it).`,
  );
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe.skipIf(!available)('/docs in a real browser', () => {
  let world: GatewayWorld;
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    world = await startGatewayWorld();
    profile = mkdtempSync(join(tmpdir(), 'portvakt-chromium-'));
    // A fresh profile per run: nothing cached or remembered from an earlier one.
    browser = await chromium.launchPersistentContext(profile, CHROMIUM_LAUNCH);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('renders every operation of openapi.yaml, loading nothing from elsewhere and breaking no CSP rule', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    page.on('request', (req) => {
      if (!req.url().startsWith(world.gateway.url) && !req.url().startsWith('data:')) foreign.push(req.url());
    });
    await page.goto(`${world.gateway.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    const shown = await page.$$eval('.opblock', (blocks) =>
      blocks.map((b) => {
        const method = b.querySelector('.opblock-summary-method')?.textContent?.trim().toLowerCase();
        const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path');
        return `${method} ${path}`;
      }),
    );
    const paths = world.contract.document.paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => `${m} ${path}`),
    );
    expect(shown.sort()).toEqual(documented.sort());
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
