/**
 * `npm run bench`: every scenario server in its own child process, loaded by autocannon from this one.
 * Figures on a shared machine are noisy, so every target is a ratio between scenarios of the same run, and:
 * - the servers run tsc's output with plain `node` (as `dist` runs), not through tsx;
 * - autocannon (this process) and the server under test are pinned to a core each (Linux `taskset`);
 * - bare, auth0, portvakt-hot and portvakt-cold-tokens are measured side by side in slices taken in turn;
 * - each scenario keeps the best of BENCH_ROUNDS rounds.
 *
 * Environment (all optional): BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (5), BENCH_CONNECTIONS (50),
 * BENCH_ROUNDS (2), BENCH_COLD_TOKENS (10000), BENCH_DECISION_KEYS (3000), BENCH_FILL_DECISIONS (100000;
 * 0 skips the memory fill), BENCH_ONLY (comma-separated scenario names), BENCH_PIN (0: no core pinning),
 * BENCH_PROFILE (a scenario name: its server runs with --cpu-prof, profiles in bench/results/profiles),
 * BENCH_DATABASE_URL (PostgreSQL for the data-path scenarios; default TEST_DATABASE_URL; unset: they are skipped).
 *
 * The data path (`/aapnekrav`) is measured side by side too: an anchor (Express + pg, the best query, no
 * authorization), the gateway on PostgreSQL, and the gateway on the embedded store. Only their event loop is
 * pinned to the server's core; a local PostgreSQL goes to the load generator's core, and the embedded
 * database's thread may use either, as a database does not share the gateway's core in production.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { REMEMBERED_TOKENS_MAX } from '../src/caller/callers.js';
import { createTestIssuer, createTestPdp, systemUserIdFor } from '../src/testing/index.js';
import {
  AUTH0_AUDIENCE,
  type FromServer,
  GATEWAY_PATH,
  KRAV,
  orgNumbers,
  PARTY,
  THINGS_PATH,
  type ToServer,
} from './lib/shared.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const int = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
};
const settings = {
  seconds: int('BENCH_SECONDS', 5),
  warmupSeconds: int('BENCH_WARMUP_SECONDS', 5),
  connections: int('BENCH_CONNECTIONS', 50),
  rounds: Math.max(1, int('BENCH_ROUNDS', 2)),
  coldTokens: int('BENCH_COLD_TOKENS', 10_000),
  decisionKeys: int('BENCH_DECISION_KEYS', 3_000),
  fillDecisions: int('BENCH_FILL_DECISIONS', 100_000),
  only: process.env.BENCH_ONLY?.split(',').filter(Boolean),
  profile: process.env.BENCH_PROFILE,
  pin: process.env.BENCH_PIN !== '0',
  databaseUrl: process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined,
};
/** Requests for one (system user, party) key sent back to back, so that they overlap at the PDP. */
const REPEATS_PER_KEY = 4;
const DECISION_USERS = 50;
const PDP_DELAY_MS = 5;
const TOKEN_LIFE_SECONDS = 3600; // outlives the whole run; expiry is the tests' business

const log = (line: string) => process.stderr.write(`${line}\n`);

// --- the code under test, compiled as it ships ----------------------------------------------------------

/**
 * Scenario servers run tsc's output with plain `node`, as `dist` runs in production: through tsx, esbuild's
 * `keepNames` would add a helper call to every closure Portvakt makes per request, a cost users never pay.
 */
const root = path.resolve(here, '..');
const build = path.join(root, '.bench-build');
log('compiling src and bench (tsconfig.bench.json)…');
execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.bench.json')], {
  stdio: 'inherit',
});
copyFileSync(path.join(root, 'openapi.yaml'), path.join(build, 'openapi.yaml')); // the gateway's DEFAULT_SPEC

// --- cores: the load generator on one, the server under test on another ---------------------------------

/**
 * With two cores shared by autocannon and the server, the scheduler decides how much each gets, and that
 * changes from one second to the next: ratios between scenarios swung by ±30 %. Pinning each to its own
 * core (Linux `taskset`; skipped where it is missing or BENCH_PIN=0) makes the contest fair and repeatable.
 */
const cores = os.availableParallelism();
const pinning = settings.pin && cores >= 2 && pin(process.pid, 0);
/** Pins a process (all its threads), or with `threads: 'main'` only its main thread (tid = pid), to a core or a list. */
function pin(pid: number, cores: number | string, threads: 'all' | 'main' = 'all'): boolean {
  try {
    execFileSync('taskset', [...(threads === 'all' ? ['-a'] : []), '-p', '-c', String(cores), String(pid)], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

// --- the data path's PostgreSQL: a schema of its own, migrated and seeded by the gateway on start ---------

const BENCH_SCHEMA = 'portvakt_bench';
let benchDatabaseUrl: string | undefined;

/**
 * A PostgreSQL on this machine goes to core 0 with the load generator, as a production database runs on
 * other hardware than the gateway: its backends sharing the server's core cost the server's own code 40 %
 * more CPU per request (caches), anchor and gateway alike. New backends inherit the postmaster's affinity;
 * the postmaster gets its own back when the bench exits. A remote database, or another user's, is left alone.
 */
function pinPostgresAway(backend: number): void {
  try {
    if (!readFileSync(`/proc/${backend}/cmdline`, 'utf8').startsWith('postgres')) return;
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    // "pid 8704's current affinity list: 0,1"
    const shown = execFileSync('taskset', ['-c', '-p', String(postmaster)], { encoding: 'utf8' });
    const before = shown.slice(shown.lastIndexOf(':') + 1).trim();
    if (pin(postmaster, 0, 'main')) process.once('exit', () => pin(postmaster, before, 'main'));
  } catch {
    // not a process of this machine we may read or pin
  }
}
if (settings.databaseUrl) {
  const admin = new pg.Client({ connectionString: settings.databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`);
  await admin.query(`CREATE SCHEMA ${BENCH_SCHEMA}`);
  if (pinning) pinPostgresAway((await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  await admin.end();
  const url = new URL(settings.databaseUrl);
  url.searchParams.set('options', `-c search_path=${BENCH_SCHEMA}`);
  benchDatabaseUrl = url.toString();
} else {
  log('no BENCH_DATABASE_URL or TEST_DATABASE_URL: the data-path scenarios (anchor, gateway-postgres) are skipped');
}

// --- the world: one test issuer and PDP in this process, idle while scenarios are measured ---------------

const issuer = await createTestIssuer();
const pdp = await createTestPdp();
const hotUser = systemUserIdFor(PARTY);
const mint = (count: number, options: Parameters<typeof issuer.token>[0] = {}) =>
  Array.from({ length: count }, () => issuer.token({ expiresInSeconds: TOKEN_LIFE_SECONDS, ...options }));

log(`minting ${settings.coldTokens + 2_000 + DECISION_USERS + 2} tokens…`);
const hotToken = mint(1)[0]!;
const auth0Token = mint(1, { audience: AUTH0_AUDIENCE })[0]!;
const coldTokens = mint(settings.coldTokens);
const warmTokens = mint(2_000);
const decisionUsers = Array.from({ length: DECISION_USERS }, () => randomUUID());
const decisionTokens = decisionUsers.map((systemUser) => mint(1, { systemUser })[0]!);
const partiesPerUser = Math.max(1, Math.ceil(settings.decisionKeys / DECISION_USERS));
const measureParties = orgNumbers(partiesPerUser, 910_000_00);
const warmParties = orgNumbers(20, 920_000_00);
const fillParties = orgNumbers(settings.fillDecisions, 930_000_00);

function permitAll(): void {
  pdp.reset();
  pdp.permit(hotUser, KRAV.resource, PARTY);
  for (const user of decisionUsers) {
    for (const party of [...measureParties, ...warmParties]) pdp.permit(user, KRAV.resource, party);
  }
}
permitAll();

interface Step {
  path: string;
  authorization: string;
}
const keysSequence = (parties: string[]): Step[] =>
  parties.flatMap((party) =>
    decisionTokens.flatMap((token) =>
      Array.from({ length: REPEATS_PER_KEY }, () => ({
        path: `/v1/${party}/things`,
        authorization: `Bearer ${token}`,
      })),
    ),
  );

// --- load ----------------------------------------------------------------------------------------------

/** One token on one path for a duration, or a sequence of requests shared round-robin by all connections. */
type Plan = { path: string; token: string } | { sequence: Step[]; once: boolean };

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** The scenario server's CPU time (user + system) per request, in µs. */
  cpuPerRequestMicros?: number;
}

/** What one autocannon run saw: summed over slices before it becomes a `Measured`. */
interface Sample {
  requests: number;
  seconds: number;
  /** Every response's latency in ms, for exact percentiles across slices. */
  latencies: number[];
  non2xx: number;
  errors: number;
  cpuMicros: number;
}

async function load(base: string, plan: Plan, seconds: number): Promise<Sample> {
  const common = { url: base, connections: settings.connections };
  let options: autocannon.Options;
  if ('token' in plan) {
    options = {
      ...common,
      url: base + plan.path,
      duration: seconds,
      headers: { authorization: `Bearer ${plan.token}` },
    };
  } else {
    const { sequence } = plan;
    let next = 0;
    options = {
      ...common,
      ...(plan.once ? { amount: sequence.length } : { duration: seconds }),
      requests: [
        {
          // One counter for all connections: a global round robin, so no two connections replay the same list.
          setupRequest: (request) => {
            const step = sequence[next++ % sequence.length]!;
            return { ...request, path: step.path, headers: { ...request.headers, authorization: step.authorization } };
          },
        },
      ],
    };
  }
  // autocannon's clock ticks in whole seconds, and a fixed `amount` also ends on a tick: 10 000 requests
  // done in 4.2 s or in 4.9 s would both read as 1996 req/s. Time from start to the last response instead.
  const started = performance.now();
  let lastResponse = started;
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      lastResponse = performance.now();
      latencies.push(responseTime);
    });
  });
  return {
    requests: result.requests.total,
    seconds: (lastResponse - started) / 1000,
    latencies,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMicros: 0,
  };
}

/** Several samples of one scenario as one figure: requests over time, percentiles over every response. */
function summarize(samples: Sample[]): Measured {
  const sum = (pick: (s: Sample) => number) => samples.reduce((total, sample) => total + pick(sample), 0);
  const latencies = Float64Array.from(samples.flatMap((sample) => sample.latencies)).sort();
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const requests = sum((s) => s.requests);
  return {
    rps: requests / sum((s) => s.seconds),
    p50: at(0.5),
    p99: at(0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    requests,
    non2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    cpuPerRequestMicros: sum((s) => s.cpuMicros) / Math.max(1, requests),
  };
}

// --- scenario servers ----------------------------------------------------------------------------------

interface Server {
  url: string;
  ask<T>(type: string, payload?: unknown): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(
  name: string,
  file: string,
  extraEnv: Record<string, string> = {},
  pinned: 'all' | 'main' = 'all',
): Promise<Server> {
  const execArgv = ['--expose-gc'];
  if (settings.profile === name) {
    const dir = path.join(here, 'results', 'profiles');
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  const child: ChildProcess = fork(path.join(build, 'bench', 'scenarios', file.replace(/\.ts$/, '.js')), [], {
    execArgv,
    env: { ...process.env, ISSUER: issuer.issuer, PDP_URL: pdp.url, ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  if (pinning && pinned === 'all' && child.pid !== undefined) pin(child.pid, 1);
  let id = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
    child.on('message', (message: FromServer) => {
      if ('type' in message) return resolve(message.port);
      const waiter = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  });
  // Threads started by now (the embedded database's, V8's and libuv's helpers) keep both cores.
  if (pinning && pinned === 'main' && child.pid !== undefined) pin(child.pid, 1, 'main');
  const ask = <T>(type: string, payload?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const message: ToServer = { id: ++id, type, payload };
      waiting.set(message.id, { resolve: resolve as (v: unknown) => void, reject });
      child.send(message);
    });
  const stop = async () => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await ask('exit').catch(() => {});
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  };
  return { url: `http://127.0.0.1:${port}`, ask, stop };
}

interface Scenario {
  name: string;
  file: string;
  env?: Record<string, string>;
  warm: Plan;
  measure: Plan;
  /** Steady-state scenarios compared by ratio are measured side by side with their group (see runInterleaved). */
  sideBySide?: 'hot-path' | 'data-path';
  /** Needs PostgreSQL (BENCH_DATABASE_URL); skipped without it. */
  postgres?: true;
  /** Runs around the measured load; returns extra figures for the report. */
  around?: (server: Server, measure: () => Promise<Measured>) => Promise<{ result: Measured; extra: object }>;
}

const scenarios: Scenario[] = [
  {
    name: 'bare',
    file: 'bare.ts',
    sideBySide: 'hot-path',
    warm: { path: THINGS_PATH, token: hotToken },
    measure: { path: THINGS_PATH, token: hotToken },
  },
  {
    name: 'auth0',
    file: 'auth0.ts',
    sideBySide: 'hot-path',
    warm: { path: THINGS_PATH, token: auth0Token },
    measure: { path: THINGS_PATH, token: auth0Token },
  },
  {
    name: 'portvakt-hot',
    file: 'portvakt-hot.ts',
    sideBySide: 'hot-path',
    warm: { path: THINGS_PATH, token: hotToken },
    measure: { path: THINGS_PATH, token: hotToken },
  },
  {
    // Every measured request carries a token the server has never seen (warm-up used other tokens). Side by
    // side with auth0, its baseline: the tokens are split into one share per slice.
    name: 'portvakt-cold-tokens',
    file: 'portvakt-cold-tokens.ts',
    sideBySide: 'hot-path',
    warm: { sequence: warmTokens.map((t) => ({ path: THINGS_PATH, authorization: `Bearer ${t}` })), once: false },
    measure: { sequence: coldTokens.map((t) => ({ path: THINGS_PATH, authorization: `Bearer ${t}` })), once: true },
  },
  {
    name: 'portvakt-cold-decisions',
    file: 'portvakt-cold-decisions.ts',
    warm: { sequence: keysSequence(warmParties), once: false },
    measure: { sequence: keysSequence(measureParties), once: true },
    around: async (server, measure) => {
      await server.ask('reset');
      const callsBefore = pdp.calls.length;
      const result = await measure();
      const pdpCalls = pdp.calls.length - callsBefore;
      const { distinctPermitted } = await server.ask<{ distinctPermitted: number }>('stats');
      const distinctKeys = measureParties.length * decisionTokens.length;
      return { result, extra: { distinctKeys, distinctPermitted, pdpCalls, pdpDelayMs: PDP_DELAY_MS } };
    },
  },
  {
    name: 'gateway-noauth',
    file: 'gateway.ts',
    env: { BENCH_GATEWAY_NOAUTH: '1' },
    warm: { path: GATEWAY_PATH, token: hotToken },
    measure: { path: GATEWAY_PATH, token: hotToken },
  },
  {
    name: 'gateway',
    file: 'gateway.ts',
    warm: { path: GATEWAY_PATH, token: hotToken },
    measure: { path: GATEWAY_PATH, token: hotToken },
    around: async (server, measure) => {
      const result = await measure();
      const auth = await server.ask<{ p50Ms: number; meanMs: number }>('authTime', {
        token: hotToken,
        party: PARTY,
        count: 2_000,
      });
      return { result, extra: { authorizationP50Ms: auth.p50Ms, authorizationMeanMs: auth.meanMs } };
    },
  },
  // The data path: created in this order, so the gateway on PostgreSQL has migrated and seeded its schema
  // before the anchor reads it.
  {
    name: 'gateway-postgres',
    file: 'gateway.ts',
    sideBySide: 'data-path',
    postgres: true,
    warm: { path: GATEWAY_PATH, token: hotToken },
    measure: { path: GATEWAY_PATH, token: hotToken },
  },
  {
    name: 'gateway-embedded',
    file: 'gateway.ts',
    sideBySide: 'data-path',
    warm: { path: GATEWAY_PATH, token: hotToken },
    measure: { path: GATEWAY_PATH, token: hotToken },
  },
  {
    name: 'anchor',
    file: 'anchor.ts',
    sideBySide: 'data-path',
    postgres: true,
    warm: { path: GATEWAY_PATH, token: hotToken },
    measure: { path: GATEWAY_PATH, token: hotToken },
  },
];

const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** Unmeasured load before each slice of the side-by-side groups (see runInterleaved). */
const REWARM_SECONDS = 0.5;
/** After a load stopped on time: its cut-off requests land before anything else is counted. */
const cutOffLand = () => new Promise((resolve) => setTimeout(resolve, 100));

/** One measured load with the server's own CPU time: what the middleware costs, whatever the load generator manages. */
async function sampleOf(server: Server, plan: Plan, seconds: number): Promise<Sample> {
  type Cpu = { user: number; system: number };
  const before = await server.ask<Cpu>('cpu');
  const sample = await load(server.url, plan, seconds);
  const after = await server.ask<Cpu>('cpu');
  return { ...sample, cpuMicros: after.user + after.system - before.user - before.system };
}

async function runScenario(scenario: Scenario): Promise<{ result: Measured; extra: object }> {
  const server = await startServer(scenario.name, scenario.file, scenario.env);
  try {
    if (scenario.name === 'portvakt-cold-decisions') pdp.setMode('slow', { delayMs: PDP_DELAY_MS });
    if (settings.warmupSeconds > 0) await load(server.url, scenario.warm, settings.warmupSeconds);
    // autocannon stops on time with requests in flight: let them land before anything is counted.
    await settle();
    const measure = async () => summarize([await sampleOf(server, scenario.measure, settings.seconds)]);
    return scenario.around ? await scenario.around(server, measure) : { result: await measure(), extra: {} };
  } finally {
    pdp.setMode('normal');
    await server.stop();
  }
}

/** A one-pass plan's share of one slice in `slices` (each request still sent once in all); a timed plan as it is. */
function sliceOf(plan: Plan, slice: number, slices: number): Plan {
  if (!('sequence' in plan) || !plan.once) return plan;
  const size = Math.ceil(plan.sequence.length / slices);
  return { ...plan, sequence: plan.sequence.slice(slice * size, (slice + 1) * size) };
}

/**
 * Scenarios compared by ratio (bare, auth0, portvakt-hot, portvakt-cold-tokens) run side by side: all servers
 * up, then slices taken in turn, so a slow spell of the machine (a noisy neighbour, a frequency change) falls on all
 * of them rather than on whichever ran then. Each scenario gets `seconds` in all.
 */
async function runInterleaved(group: Scenario[]): Promise<Record<string, { result: Measured; extra: object }>> {
  const servers: Server[] = [];
  try {
    for (const scenario of group) {
      const env: Record<string, string> =
        scenario.postgres && benchDatabaseUrl ? { CLAIMS_DATABASE_URL: benchDatabaseUrl } : {};
      servers.push(
        await startServer(
          scenario.name,
          scenario.file,
          { ...scenario.env, ...env },
          scenario.sideBySide === 'data-path' ? 'main' : 'all',
        ),
      );
    }
    if (settings.warmupSeconds > 0) {
      for (const [i, scenario] of group.entries()) await load(servers[i]!.url, scenario.warm, settings.warmupSeconds);
    }
    await settle();
    const samples: Sample[][] = group.map(() => []);
    const slices = Math.max(1, settings.seconds);
    for (let slice = 0; slice < slices; slice++) {
      for (let k = 0; k < group.length; k++) {
        const i = (slice + k) % group.length; // each slice starts with the next scenario
        // Half a second of unmeasured load first. A server that sat idle while the others had their turn answers
        // its first requests slower: without this, an identical server measured 6–8 % slower when it went first
        // (it had waited longest since its warm-up), which biased every ratio against the first scenario.
        await load(servers[i]!.url, group[i]!.warm, REWARM_SECONDS);
        await cutOffLand();
        samples[i]!.push(await sampleOf(servers[i]!, sliceOf(group[i]!.measure, slice, slices), 1));
        await cutOffLand();
      }
    }
    return Object.fromEntries(
      group.map((scenario, i) => [scenario.name, { result: summarize(samples[i]!), extra: {} }]),
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** RSS of the hot server before and after filling the token cache and the decision cache to their bounds. */
async function weighCaches() {
  const dir = mkdtemp();
  const tokensFile = path.join(dir, 'tokens.json');
  const partiesFile = path.join(dir, 'parties.json');
  const fillTokens = coldTokens.slice(0, REMEMBERED_TOKENS_MAX);
  writeFileSync(tokensFile, JSON.stringify(fillTokens));
  writeFileSync(partiesFile, JSON.stringify(fillParties));
  for (const party of fillParties) pdp.permit(hotUser, KRAV.resource, party);
  const server = await startServer('portvakt-hot', 'portvakt-hot.ts');
  try {
    await load(server.url, { path: THINGS_PATH, token: hotToken }, settings.warmupSeconds || 1);
    type Mem = { rss: number; heapUsed: number; external: number };
    const filled = await server.ask<{
      tokens: number;
      decisions: number;
      before: Mem;
      afterTokens: Mem;
      afterDecisions: Mem;
      fillDecisionsMs: number;
    }>('fill', { tokensFile, tokenParty: PARTY, partiesFile, decisionToken: hotToken });
    const perToken = (filled.afterTokens.heapUsed - filled.before.heapUsed) / Math.max(1, filled.tokens);
    const perDecision = (filled.afterDecisions.heapUsed - filled.afterTokens.heapUsed) / Math.max(1, filled.decisions);
    return { ...filled, perTokenEntryBytes: Math.round(perToken), perDecisionEntryBytes: Math.round(perDecision) };
  } finally {
    await server.stop();
    permitAll(); // also empties pdp.calls
  }
}

function mkdtemp(): string {
  const dir = path.join(os.tmpdir(), `portvakt-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// --- run -----------------------------------------------------------------------------------------------

const selected = scenarios.filter(
  (s) => (!settings.only || settings.only.includes(s.name)) && (!s.postgres || benchDatabaseUrl !== undefined),
);
const rounds: Record<string, Measured & { extra: object }>[] = [];
for (let round = 1; round <= settings.rounds; round++) {
  const figures: Record<string, Measured & { extra: object }> = {};
  const report = (name: string, { result, extra }: { result: Measured; extra: object }) => {
    figures[name] = { ...result, extra };
    log(
      `  ${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `server CPU ${result.cpuPerRequestMicros?.toFixed(0)} µs/req, non-2xx ${result.non2xx + result.errors}`,
    );
  };
  const rest = selected.filter((s) => !s.sideBySide);
  for (const kind of ['hot-path', 'data-path'] as const) {
    const group = selected.filter((s) => s.sideBySide === kind);
    if (group.length === 0) continue;
    log(`round ${round}: ${group.map((s) => s.name).join(', ')}, interleaved…`);
    for (const [name, figure] of Object.entries(await runInterleaved(group))) report(name, figure);
  }
  // Every other round in reverse order, so a load change on the shared machine does not always hit the same one.
  for (const scenario of round % 2 === 1 ? rest : [...rest].reverse()) {
    log(`round ${round}: ${scenario.name}…`);
    report(scenario.name, await runScenario(scenario));
  }
  rounds.push(figures);
}
const best: Record<string, Measured & { extra: object }> = {};
for (const figures of rounds) {
  for (const { name } of selected) {
    const figure = figures[name]!;
    if (!best[name] || figure.rps > best[name].rps) best[name] = figure;
  }
}

let memory: Awaited<ReturnType<typeof weighCaches>> | undefined;
if (settings.fillDecisions > 0 && (!settings.only || settings.only.includes('portvakt-hot'))) {
  log(`memory: filling ${REMEMBERED_TOKENS_MAX} tokens and ${settings.fillDecisions} decisions…`);
  memory = await weighCaches();
}

// --- report --------------------------------------------------------------------------------------------

const ratio = (a?: Measured, b?: Measured, field: 'rps' | 'p99' | 'p50' | 'mean' = 'rps') =>
  a && b && b[field] > 0 ? a[field] / b[field] : Number.NaN;
const bare = best.bare;
const auth0Best = best.auth0;
const hot = best['portvakt-hot'];
const coldTokensBest = best['portvakt-cold-tokens'];
const coldDecisions = best['portvakt-cold-decisions'];
const gateway = best.gateway;
const gatewayNoauth = best['gateway-noauth'];
const decisionExtra = coldDecisions?.extra as
  | { distinctKeys: number; distinctPermitted: number; pdpCalls: number }
  | undefined;
const gatewayAuth = gateway?.extra as { authorizationP50Ms: number; authorizationMeanMs: number } | undefined;
/** Authorization time (the gateway's pipeline, timed in-process) against the gateway's p50 under load. */
const authShareOfP50 = gateway && gatewayAuth ? gatewayAuth.authorizationP50Ms / gateway.p50 : Number.NaN;
/** The stricter view: against the service time of one request (1 / req/s), queueing left out. */
const authShareOfService = gateway && gatewayAuth ? (gatewayAuth.authorizationMeanMs * gateway.rps) / 1000 : Number.NaN;
const noauthShare = gateway && gatewayNoauth ? 1 - gateway.rps / gatewayNoauth.rps : Number.NaN;
/** The same ratio within each round (scenarios measured minutes apart, not across rounds), then the median. */
const roundRatio = (a: string, b: string, field: 'rps' | 'p99' = 'rps') => {
  const values = rounds
    .map((r) => ratio(r[a], r[b], field))
    .filter((v) => !Number.isNaN(v))
    .sort((x, y) => x - y);
  if (values.length === 0) return Number.NaN;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
};

const targets = [
  {
    target: 'portvakt-hot ≥ 0.9× bare (req/s)',
    value: ratio(hot, bare),
    pass: ratio(hot, bare) >= 0.9,
    median: roundRatio('portvakt-hot', 'bare'),
  },
  {
    target: 'portvakt-hot ≥ 1.4× auth0 (req/s)',
    value: ratio(hot, auth0Best),
    pass: ratio(hot, auth0Best) >= 1.4,
    median: roundRatio('portvakt-hot', 'auth0'),
  },
  {
    target: 'portvakt-hot p99 ≤ 2× bare p99',
    value: ratio(hot, bare, 'p99'),
    pass: ratio(hot, bare, 'p99') <= 2,
    median: roundRatio('portvakt-hot', 'bare', 'p99'),
  },
  {
    target: 'portvakt-cold-tokens ≥ 1.0× auth0 (req/s)',
    value: ratio(coldTokensBest, auth0Best),
    pass: ratio(coldTokensBest, auth0Best) >= 1,
    median: roundRatio('portvakt-cold-tokens', 'auth0'),
  },
  {
    target: 'cold-decisions: PDP calls = distinct keys',
    value: decisionExtra ? decisionExtra.pdpCalls / decisionExtra.distinctKeys : Number.NaN,
    pass:
      decisionExtra !== undefined &&
      decisionExtra.pdpCalls === decisionExtra.distinctKeys &&
      decisionExtra.distinctPermitted === decisionExtra.distinctKeys,
  },
  { target: 'gateway: authorization ≤ 10% of p50', value: authShareOfP50, pass: authShareOfP50 <= 0.1 },
  {
    target: 'gateway-postgres ≥ 0.9× anchor (req/s)',
    value: ratio(best['gateway-postgres'], best.anchor),
    pass: ratio(best['gateway-postgres'], best.anchor) >= 0.9,
    median: roundRatio('gateway-postgres', 'anchor'),
  },
  {
    target: 'gateway-embedded ≥ 0.8× gateway-postgres (req/s)',
    value: ratio(best['gateway-embedded'], best['gateway-postgres']),
    pass: ratio(best['gateway-embedded'], best['gateway-postgres']) >= 0.8,
    median: roundRatio('gateway-embedded', 'gateway-postgres'),
  },
].filter((t) => !Number.isNaN(t.value));

const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const lines = [
  `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load avg ${os.loadavg()[0]?.toFixed(2)}`,
  `${settings.connections} connections, ${settings.seconds} s (cold scenarios: one pass), best of ${settings.rounds}`,
  '',
  `${pad('scenario', 26)}${pad('req/s', 9)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('×bare', 7)}${pad('×auth0', 8)}${pad('×anchor', 9)}non-2xx`,
  ...Object.entries(best).map(
    ([name, f]) =>
      `${pad(name, 26)}${pad(fmt(f.rps), 9)}${pad(fmt(f.p50, 1), 8)}${pad(fmt(f.p99, 1), 8)}${pad(fmt(ratio(f, bare), 2), 7)}` +
      `${pad(fmt(ratio(f, auth0Best), 2), 8)}${pad(fmt(ratio(f, best.anchor), 2), 9)}${f.non2xx + f.errors}`,
  ),
  '',
  ...(decisionExtra
    ? [
        `cold-decisions: ${decisionExtra.distinctKeys} distinct keys × ${REPEATS_PER_KEY} requests, PDP ${PDP_DELAY_MS} ms: ` +
          `${decisionExtra.pdpCalls} PDP calls, ${decisionExtra.distinctPermitted} keys permitted`,
      ]
    : []),
  ...(gateway && gatewayAuth
    ? [
        `gateway: authorization takes ${fmt(gatewayAuth.authorizationP50Ms * 1000, 0)} µs (p50, in-process) = ` +
          `${fmt(authShareOfP50 * 100, 2)} % of the gateway's p50 and ${fmt(authShareOfService * 100, 1)} % of one ` +
          `request's service time (1/req/s); req/s ${fmt(1 - noauthShare, 2)}× the no-auth gateway's (noisy)`,
      ]
    : []),
  ...(memory
    ? [
        `memory (portvakt-hot): RSS ${fmt(memory.before.rss / 2 ** 20, 1)} MiB → ${fmt(memory.afterTokens.rss / 2 ** 20, 1)} MiB ` +
          `with ${memory.tokens} tokens → ${fmt(memory.afterDecisions.rss / 2 ** 20, 1)} MiB with ${memory.decisions} decisions; ` +
          `heap per token entry ${memory.perTokenEntryBytes} B, per decision entry ${memory.perDecisionEntryBytes} B`,
      ]
    : []),
  '',
  `${pad('', 6)}${pad('target', 44)} ${pad('best', 8)}median of per-round ratios`,
  ...targets.map(
    (t) =>
      `${t.pass ? 'PASS' : 'FAIL'}  ${pad(t.target, 44)} ${pad(fmt(t.value, 4), 8)}${fmt(t.median ?? Number.NaN, 2)}`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);

const report = {
  at: new Date().toISOString(),
  machine: { node: process.version, cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg() },
  settings,
  best,
  rounds,
  memory,
  targets,
};
const resultsDir = path.join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const json = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(path.join(resultsDir, `${report.at.replace(/[:.]/g, '-')}.json`), json);
writeFileSync(path.join(resultsDir, 'latest.json'), json);
await Promise.all([issuer.close(), pdp.close()]);
