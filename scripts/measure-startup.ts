/**
 * `npm run measure`: how fast `portvakt serve` and `npm start` come up, and whether the embedded claims
 * database keeps the gateway's event loop free under load. Runs the compiled CLI (`bin/portvakt.js`, as
 * `npm start` does) and prints medians.
 *
 * - serve: from spawn to the first line printed and to `/health/ready` 200, on the embedded store
 *   (the test issuer and PDP of `portvakt/testing` run in this process);
 * - sandbox: from spawn to the first line and to the pasteable commands;
 * - loaded loop: autocannon on `/aapnekrav` at 100 connections while a separate thread asks
 *   `/health/live` one request at a time (its p99), then 200 connections (the slowest request).
 *
 * Environment (optional): MEASURE_ONLY (comma-separated: serve, sandbox, loop), MEASURE_RUNS (5), MEASURE_SECONDS (10), MEASURE_PORT_BASE (12090: three ports
 * from there for the sandbox), CLAIMS_DATABASE_URL (runs the loaded loop on PostgreSQL too).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { createTestIssuer, createTestPdp, systemUserIdFor, testEnv } from '../src/testing/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const int = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};
const RUNS = int('MEASURE_RUNS', 5);
const SECONDS = int('MEASURE_SECONDS', 10);
const PORT_BASE = int('MEASURE_PORT_BASE', 12090);
const ONLY = new Set((process.env.MEASURE_ONLY ?? 'serve,sandbox,loop').split(',').filter(Boolean));
const PARTY = '310478717';
const AAPNEKRAV = `/api/innkreving/kravogbetalinger/v1/${PARTY}/aapnekrav`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (n: number) => `${Math.round(n)} ms`;

log('building dist (npm run build)…');
execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
// The cached images are what a user has after `npm ci` (its `prepare` step); build them if missing.
execFileSync(process.execPath, [path.join(root, 'bin', 'portvakt.js'), 'prepare', '--quiet'], { stdio: 'inherit' });

const issuer = await createTestIssuer();
const pdp = await createTestPdp();
pdp.permit(systemUserIdFor(PARTY), 'ske-krav-og-betalinger', PARTY);
const token = issuer.token({ expiresInSeconds: 3600 });

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface Started {
  child: ChildProcess;
  firstLineMs: number;
  readyMs: number;
}

/** Spawns the CLI and resolves when `ready()` says so, with the time to the first output line. */
async function startCli(args: string[], env: Record<string, string>, ready: (out: string) => Promise<boolean>) {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin', 'portvakt.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let firstLineMs = Number.NaN;
  const onData = (chunk: Buffer) => {
    if (Number.isNaN(firstLineMs)) firstLineMs = performance.now() - started;
    out += chunk.toString('utf8');
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`portvakt ${args[0]} exited (${code}) before it was ready:\n${out}`);
  });
  const deadline = started + 60_000;
  while (!(await Promise.race([ready(out), exited]))) {
    if (performance.now() > deadline) throw new Error(`portvakt ${args[0]} not ready after 60 s:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { child, firstLineMs, readyMs: performance.now() - started } satisfies Started;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const healthReady = (url: string) => async () => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

async function startServe(extraEnv: Record<string, string> = {}): Promise<Started & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...testEnv(issuer, pdp), PORT: String(port), LOG_LEVEL: 'warn', ...extraEnv };
  return { ...(await startCli(['serve'], env, healthReady(url))), url };
}

async function measureServe() {
  const runs: Started[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = await startServe();
    await stop(started.child);
    runs.push(started);
    log(`  serve #${i + 1}: first line ${ms(started.firstLineMs)}, /health/ready 200 after ${ms(started.readyMs)}`);
  }
  return runs;
}

async function measureSandbox() {
  const runs: Started[] = [];
  const ports = ['--port', PORT_BASE, '--maskinporten-port', PORT_BASE + 1, '--altinn-port', PORT_BASE + 2].map(String);
  for (let i = 0; i < RUNS; i++) {
    const started = await startCli(['sandbox', ...ports], { LOG_LEVEL: 'warn' }, async (out) => out.includes('FIRM='));
    await stop(started.child);
    runs.push(started);
    log(`  sandbox #${i + 1}: first line ${ms(started.firstLineMs)}, commands printed after ${ms(started.readyMs)}`);
  }
  return runs;
}

/** `/health/live` asked one request at a time from its own thread, so this process's load does not delay it. */
function probeLive(url: string): { stop(): Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const http = require('node:http');
     const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
     const times = []; let running = true;
     parentPort.on('message', () => { running = false; });
     const once = () => new Promise((resolve) => {
       const t = performance.now();
       http.get(workerData + '/health/live', { agent }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - t)); })
         .on('error', () => resolve(Number.NaN));
     });
     (async () => { while (running) { times.push(await once()); await new Promise((r) => setTimeout(r, 20)); } parentPort.postMessage(times); })();`,
    { eval: true, workerData: url },
  );
  return {
    async stop() {
      worker.postMessage('stop');
      const [times] = (await once(worker, 'message')) as [number[]];
      await worker.terminate();
      return times;
    },
  };
}

async function load(url: string, connections: number) {
  return autocannon({
    url: url + AAPNEKRAV,
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
}

async function loadedLoop(label: string, extraEnv: Record<string, string> = {}) {
  const server = await startServe(extraEnv);
  try {
    await load(server.url, 20); // warm-up: JIT, decision cache
    const probe = probeLive(server.url);
    const at100 = await load(server.url, 100);
    const live = (await probe.stop()).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    const at200 = await load(server.url, 200);
    const figures = {
      store: label,
      rpsAt100: Math.round(at100.requests.average),
      liveP50Ms: live[Math.floor(live.length / 2)] ?? Number.NaN,
      liveP99Ms: live[Math.min(live.length - 1, Math.floor(live.length * 0.99))] ?? Number.NaN,
      liveSamples: live.length,
      maxMsAt200: at200.latency.max,
      p99MsAt200: at200.latency.p99,
      non2xx: at100.non2xx + at200.non2xx,
      errors: at100.errors + at200.errors + at100.timeouts + at200.timeouts,
    };
    log(
      `  ${label}: ${figures.rpsAt100} req/s at 100 connections, /health/live p50 ${figures.liveP50Ms.toFixed(1)} ms ` +
        `p99 ${figures.liveP99Ms.toFixed(1)} ms (${live.length} probes); at 200 connections max ${figures.maxMsAt200} ms; ` +
        `non-2xx/errors ${figures.non2xx}/${figures.errors}`,
    );
    return figures;
  } finally {
    await stop(server.child);
  }
}

log(`Node ${process.version}, ${os.cpus().length} cores, load avg ${os.loadavg()[0]?.toFixed(2)}; ${RUNS} runs each`);
log('serve on the embedded store…');
const serve = ONLY.has('serve') ? await measureServe() : [];
log('sandbox (npm start)…');
const sandbox = ONLY.has('sandbox') ? await measureSandbox() : [];
log(`loaded loop (${SECONDS} s per load)…`);
const loops = ONLY.has('loop') ? [await loadedLoop('embedded')] : [];
if (ONLY.has('loop') && process.env.CLAIMS_DATABASE_URL) {
  loops.push(await loadedLoop('postgresql', { CLAIMS_DATABASE_URL: process.env.CLAIMS_DATABASE_URL }));
}
await Promise.all([issuer.close(), pdp.close()]);

const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const serveReady = median(serve.map((r) => r.readyMs));
const sandboxReady = median(sandbox.map((r) => r.readyMs));
const firstLine = median(sandbox.map((r) => r.firstLineMs));
const embedded = loops[0];
const lines = [
  `load avg ${os.loadavg()[0]?.toFixed(2)} at the end`,
  ...(serve.length === 0 ? [] : [`${pass(serveReady <= 2000)}  serve /health/ready 200, median of ${RUNS}: ${ms(serveReady)} (target ≤ 2000 ms; first line ${ms(median(serve.map((r) => r.firstLineMs)))})`]),
  ...(sandbox.length === 0 ? [] : [`${pass(sandboxReady <= 3000)}  sandbox commands printed, median of ${RUNS}: ${ms(sandboxReady)} (target ≤ 3000 ms)`,
  `${pass(firstLine <= 1000)}  sandbox first line, median of ${RUNS}: ${ms(firstLine)} (target ≤ 1000 ms)`]),
  ...(embedded === undefined ? [] : [`${pass(embedded.liveP99Ms <= 50)}  embedded: /health/live p99 at 100 connections ${embedded.liveP99Ms.toFixed(1)} ms (target ≤ 50 ms)`,
  `${pass(embedded.maxMsAt200 <= 2000)}  embedded: slowest request at 200 connections ${embedded.maxMsAt200} ms (target ≤ 2000 ms)`]),
  ...loops.slice(1).map(
    (l) => `      ${l.store}: /health/live p99 ${l.liveP99Ms.toFixed(1)} ms, max at 200 ${l.maxMsAt200} ms, ${l.rpsAt100} req/s`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
const times = (runs: Started[]) => runs.map(({ firstLineMs, readyMs }) => ({ firstLineMs, readyMs }));
const report = { at: new Date().toISOString(), loadavg: os.loadavg(), serve: times(serve), sandbox: times(sandbox), loops };
process.stdout.write(`${JSON.stringify(report)}\n`);
