import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectOutput } from '../../src/contract/sandbox-process.js';
import { requestSandboxToken } from '../../src/sandbox/token-command.js';
import { type CliResult, type SandboxProcess, startSandboxProcess } from '../sandbox/process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `portvakt explain <args>` with the token written to its stdin. */
function explain(token: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'explain', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  child.stdin.end(`${token}\n`);
  return new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, ...output })));
}

describe('npx portvakt explain against the sandbox', { timeout: 60_000 }, () => {
  let sandbox: SandboxProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startSandboxProcess();
    env = { PORTVAKT_SANDBOX_MASKINPORTEN: sandbox.maskinportenUrl, PORTVAKT_SANDBOX_ALTINN: sandbox.altinnUrl };
  });
  afterAll(() => sandbox.stop());

  it("reads the sandbox's token from stdin, runs the pipeline with the PDP, and never echoes the token", async () => {
    const token = await requestSandboxToken({ maskinporten: sandbox.maskinportenUrl, org: '310478717' });
    const args = ['--sandbox', '--operation', 'hentAapneKrav'];
    const permitted = await explain(token, [...args, '--party', '310478717'], env);
    expect(permitted.code, permitted.stderr).toBe(0);
    expect(permitted.stdout).toMatch(/✓ decision/);
    expect(permitted.stdout).toMatch(/Passes: the gateway would let this request through/);
    expect(permitted.stdout).toContain('"Value": "310478717"');

    const other = await explain(token, [...args, '--party', '314055403', '--json'], env);
    expect(other.code).toBe(1);
    const explanation = JSON.parse(other.stdout);
    expect(explanation.refusal).toMatchObject({ check: 'decision', status: 403, code: 'access_denied' });
    expect(explanation.pdp.response.response[0].decision).toBe('NotApplicable');

    for (const run of [permitted, other]) {
      expect(run.stdout + run.stderr).not.toContain(token);
      expect(run.stdout + run.stderr).not.toContain(token.split('.')[2]);
    }
  });

  it('a token without a system user is refused at the system user, before any PDP call', async () => {
    const token = await requestSandboxToken({ maskinporten: sandbox.maskinportenUrl });
    const run = await explain(token, ['--sandbox', '--operation', 'hentKrav', '--party', '310478717', '--json'], env);
    expect(run.code).toBe(1);
    const explanation = JSON.parse(run.stdout);
    expect(explanation.refusal).toMatchObject({ check: 'system user', code: 'systemuser_missing' });
    expect(explanation.pdp).toBeUndefined();
  });
});
