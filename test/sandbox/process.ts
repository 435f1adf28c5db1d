import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectOutput } from '../../src/contract/sandbox-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli.ts'];

export interface SandboxProcess {
  gatewayUrl: string;
  /** With trailing slash, as printed. */
  maskinportenUrl: string;
  altinnUrl: string;
  /** Everything printed on stdout at start. */
  banner: string;
  stop(): Promise<void>;
}

/** `portvakt sandbox` as a real process on free ports; resolves once it has printed its addresses. */
export async function startSandboxProcess(args: string[] = []): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    [...CLI, 'sandbox', '--port', '0', '--maskinporten-port', '0', '--altinn-port', '0', ...args],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/^Altinn\s+http/m.test(output.stdout.replace(/^ +/gm, '')) && output.stdout.includes('FIRM=')) resolve();
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code}) before it was ready:\n${output.stderr}`)));
  });
  const url = (label: string) => new RegExp(`^\\s*${label}\\s+(http://\\S+)`, 'm').exec(output.stdout)![1]!;
  return {
    gatewayUrl: url('gateway'),
    maskinportenUrl: url('Maskinporten'),
    altinnUrl: url('Altinn'),
    banner: output.stdout,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `portvakt <args>` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, ...output })));
}
