import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Where a sandbox's three parts listen. */
export interface SandboxUrls {
  gatewayUrl: string;
  /** With trailing slash. */
  maskinportenUrl: string;
  altinnUrl: string;
}

export interface StartedSandbox extends SandboxUrls {
  stop(): Promise<void>;
}

/** What a child process has printed so far, on stdout and stderr, as text. */
export interface PrintedOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects what a child process prints while it runs. */
export function collectOutput(child: { stdout: Readable; stderr: Readable }): PrintedOutput {
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  return output;
}

const START_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 1500;

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * True when a sandbox of this version runs there: Maskinporten and Altinn's PDP switch answer, and, with
 * `gateway`, the sandbox's gateway.
 */
export async function sandboxRunsAt(urls: SandboxUrls, check: { gateway: boolean }): Promise<boolean> {
  const results = await Promise.all([
    check.gateway ? answers(new URL('/health/live', urls.gatewayUrl).href) : true,
    answers(new URL('.well-known/oauth-authorization-server', urls.maskinportenUrl).href),
    answers(new URL('/sandbox/pdp', urls.altinnUrl).href),
  ]);
  return results.every(Boolean);
}

/**
 * `portvakt sandbox` as a child process on free loopback ports (its banner would otherwise mix with the
 * report); resolves with its addresses once it has printed them.
 */
export async function startSandboxProcess(): Promise<StartedSandbox> {
  // Under tsx (tests, development) this file is TypeScript and so is the CLI beside it.
  const typescript = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(typescript ? '../cli.ts' : '../cli.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...(typescript ? ['--import', 'tsx'] : []),
      cli,
      'sandbox',
      '--port',
      '0',
      '--maskinporten-port',
      '0',
      '--altinn-port',
      '0',
    ],
    { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = (label: string) => new RegExp(`^\\s*${label}\\s+(http://\\S+)`, 'm').exec(output.stdout)?.[1];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the sandbox did not start within 60 s')), START_TIMEOUT_MS);
      child.stdout.on('data', () => {
        if (url('gateway') && url('Maskinporten') && url('Altinn')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox exited (${code}) before it was ready: ${output.stderr.trim()}`));
      });
    });
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return {
    gatewayUrl: url('gateway')!,
    maskinportenUrl: url('Maskinporten')!,
    altinnUrl: url('Altinn')!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
