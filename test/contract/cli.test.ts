import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type SandboxProcess, startSandboxProcess } from '../sandbox/process.js';
import { expectWellFormedXml } from './xml.js';

describe('npx portvakt contract-test --sandbox', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portvakt-contract-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a sandbox when none runs, passes every case for the three operations and writes JUnit XML', {
    timeout: 90_000,
  }, async () => {
    const junit = join(dir, 'junit.xml');
    const { code, stdout, stderr } = await runCli(['contract-test', '--sandbox', '--junit', junit], {
      // Not the developer's own sandbox on 8081, if one runs: this test starts its own.
      PORTVAKT_SANDBOX_MASKINPORTEN: 'http://127.0.0.1:1/',
    });
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^30 passed, 0 failed, 0 skipped in /m);
    for (const op of ['hentAapneKrav', 'hentKrav', 'hentInnbetalinger'])
      expect(stdout).toMatch(new RegExp(`^${op} `, 'm'));
    const xml = readFileSync(junit, 'utf8');
    expectWellFormedXml(xml);
    expect(xml).toMatch(/<testsuites name="portvakt contract-test" tests="30" failures="0"/);
    expect(xml.match(/<testcase /g)).toHaveLength(30);
  });
});

describe('npx portvakt contract-test against a running sandbox', { timeout: 60_000 }, () => {
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    sandbox = await startSandboxProcess();
  });
  afterAll(() => sandbox.stop());

  it('uses it, and --only picks the operation', async () => {
    const { code, stdout, stderr } = await runCli([
      'contract-test',
      '--base-url',
      sandbox.gatewayUrl,
      '--maskinporten',
      sandbox.maskinportenUrl,
      '--altinn',
      sandbox.altinnUrl,
      '--only',
      'hentKrav',
    ]);
    expect(code, stdout + stderr).toBe(0);
    expect(stderr).not.toMatch(/starting one/);
    expect(stdout).toMatch(/^10 passed, 0 failed, 0 skipped/m);
    expect(stdout).not.toMatch(/hentAapneKrav/);
  });

  it('exits 1 with a clear line when no sandbox answers where it was told to look', async () => {
    const { code, stderr } = await runCli([
      'contract-test',
      '--base-url',
      sandbox.gatewayUrl,
      '--maskinporten',
      'http://127.0.0.1:1/',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no sandbox answers at http:\/\/127\.0\.0\.1:1\//);
  });
});
