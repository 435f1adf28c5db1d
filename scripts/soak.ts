/**
 * Soak: sustained load on the real gateway across 200 000 distinct (system user, party) pairs, with a
 * decision cache smaller than that, to show memory stays flat once the cache is full.
 *
 *   SOAK_SECONDS=180 node --import tsx scripts/soak.ts
 *
 * The gateway runs in a child process (so its RSS is its own); this process holds the kit issuer and
 * PDP (the stand-ins for Maskinporten and Altinn) and drives autocannon. Every 10 s it samples the
 * gateway's RSS and the window's p99 latency, prints a table, and ends with PASS/FAIL for "RSS at end
 * within 10% of RSS after warm-up" (warm-up: the decision cache has seen more distinct pairs than it
 * holds). Env: SOAK_SECONDS (180), SOAK_CONNECTIONS (32), SOAK_CACHE_MAX (50000), SOAK_STORE (memory | pglite).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { orgNumbers } from '../bench/lib/shared.js';
import type { ClaimsStore } from '../src/claims/store.js';

const SELF = fileURLToPath(import.meta.url);
const USERS = 2000;
const PARTIES_PER_USER = 100; // 2000 × 100 = 200 000 pairs
const SAMPLE_MS = 10_000;

interface Sample {
  rss: number;
  heapUsed: number;
}

/** Child: `portvakt serve` as the CLI runs it, configured by the environment the parent passes. */
async function runGateway() {
  const { loadConfig } = await import('../src/gateway/config.js');
  const { startGateway } = await import('../src/gateway/server.js');
  // The claims store is not what this measures (PGlite answers ~100 req/s on a shared 2-core box and would
  // cap the load long before the decision cache fills); SOAK_STORE=pglite puts it back.
  const store = process.env.SOAK_STORE === 'pglite' ? undefined : memoryStore();
  const gateway = await startGateway(loadConfig(process.env), { host: '127.0.0.1', ...(store ? { store } : {}) });
  await gateway.portvakt.loadKeys();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'sample') {
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ type: 'sample', rss, heapUsed } satisfies Sample & { type: string });
    }
    if (message.type === 'stop') void gateway.close().then(() => process.exit(0));
  });
  // The parent is the only reason to run: when it goes, so does the gateway.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port: gateway.port });
}

/** A claims store answering every party with no claims, from memory. */
function memoryStore(): ClaimsStore {
  const totals = { sumForfalteKrav: 0, sumIkkeForfalteKrav: 0, sumStipulerteRenter: 0, sumUplasserteInnbetalinger: 0, saldo: 0 };
  return {
    aapneKrav: async (party) => ({
      partIdentifikator: party,
      aapentKravMedGjenstaaendeBeloep: [],
      innbetalingMedUplassertBeloep: [],
      totalOversikt: { ...totals },
      oversiktPerKravgruppe: [],
    }),
    krav: async (party) => ({ partIdentifikator: party, krav: [] }),
    innbetalinger: async (party) => ({ partIdentifikator: party, innbetalinger: [] }),
    ping: async () => undefined,
    close: async () => undefined,
  };
}


function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function drive() {
  const { createTestIssuer, createTestPdp, systemUserIdFor, testEnv } = await import('../src/testing/index.js');
  const seconds = Number(process.env.SOAK_SECONDS ?? 180);
  const connections = Number(process.env.SOAK_CONNECTIONS ?? 32);
  const cacheMax = Number(process.env.SOAK_CACHE_MAX ?? 50_000);
  const resource = 'ske-krav-og-betalinger';

  const issuer = await createTestIssuer();
  const pdp = await createTestPdp();
  const parties = orgNumbers(PARTIES_PER_USER, 80_000_000);
  const users = orgNumbers(PARTIES_PER_USER + USERS, 80_000_000).slice(PARTIES_PER_USER);
  console.log(`signing ${USERS} tokens and recording ${USERS * PARTIES_PER_USER} grants…`);
  const tokens = users.map((org) => `Bearer ${issuer.token({ org, expiresInSeconds: seconds + 600 })}`);
  for (const org of users) for (const party of parties) pdp.permit(systemUserIdFor(org), resource, party);

  const child = fork(SELF, ['--gateway'], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ...testEnv(issuer, pdp),
      PORT: '0',
      LOG_LEVEL: 'warn',
      DECISION_CACHE_MAX: String(cacheMax),
      // Long enough that entries are evicted by the bound, not by age: the cache really fills.
      DECISION_CACHE_TTL_SECONDS: '3600',
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.on('message', (m: { type: string; port?: number }) => m.type === 'ready' && resolve(m.port!));
  });
  const sample = () =>
    new Promise<Sample>((resolve) => {
      const onMessage = (m: Sample & { type: string }) => {
        if (m.type !== 'sample') return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send({ type: 'sample' });
    });

  // Seeded pseudo-random pairs (mulberry32): uniform over all 200 000, so once warm a quarter of lookups hit.
  const pairs = USERS * PARTIES_PER_USER;
  let seed = 12345;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const seen = new Set<number>();
  let latencies: number[] = [];
  const statuses = new Map<number, number>();

  const start = await sample();
  console.log(`gateway on :${port}, RSS at start ${mb(start.rss)} MiB; ${seconds} s with ${connections} connections`);
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const pair = Math.floor(random() * pairs);
          seen.add(pair);
          const user = Math.floor(pair / PARTIES_PER_USER);
          const party = parties[pair % PARTIES_PER_USER]!;
          return {
            ...req,
            method: 'GET',
            path: `/api/innkreving/kravogbetalinger/v1/${party}/aapnekrav`,
            headers: { authorization: tokens[user]! },
          };
        },
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  });

  const rows: Array<{ t: number; rss: number; heap: number; p99: number; rps: number; pairs: number }> = [];
  let warm: Sample | undefined;
  let warmAt = 0;
  const started = Date.now();
  const timer = setInterval(async () => {
    const window = latencies;
    latencies = [];
    window.sort((a, b) => a - b);
    const s = await sample();
    const t = Math.round((Date.now() - started) / 1000);
    rows.push({ t, rss: s.rss, heap: s.heapUsed, p99: percentile(window, 99), rps: window.length / 10, pairs: seen.size });
    // Warm: more distinct pairs asked than the cache holds (long TTL: nothing expired), so it is full and evicting.
    if (!warm && seen.size > cacheMax * 1.1) {
      warm = s;
      warmAt = t;
    }
    console.log(
      `t=${String(t).padStart(4)}s  rss ${mb(s.rss).padStart(7)} MiB  heap ${mb(s.heapUsed).padStart(7)} MiB  ` +
        `p99 ${String(percentile(window, 99)).padStart(5)} ms  ${String(window.length / 10).padStart(7)} req/s  pairs seen ${seen.size}`,
    );
  }, SAMPLE_MS);

  const result = await new Promise<autocannon.Result>((resolve) => instance.on('done', resolve));
  clearInterval(timer);
  const end = await sample();
  child.send({ type: 'stop' });
  await Promise.all([issuer.close(), pdp.close()]);

  console.log('\n|   t (s) | RSS (MiB) | heap (MiB) | p99 (ms) |   req/s | pairs seen |');
  console.log('|--------:|----------:|-----------:|---------:|--------:|-----------:|');
  for (const r of rows) {
    console.log(
      `| ${String(r.t).padStart(7)} | ${mb(r.rss).padStart(9)} | ${mb(r.heap).padStart(10)} | ${String(r.p99).padStart(8)} | ${r.rps.toFixed(0).padStart(7)} | ${String(r.pairs).padStart(10)} |`,
    );
  }
  const statusText = [...statuses].map(([s, n]) => `${s}: ${n}`).join(', ');
  console.log(`\nrequests ${result.requests.total}, errors ${result.errors}, timeouts ${result.timeouts}; statuses ${statusText}`);
  console.log(`latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; PDP calls ${pdp.calls.length}`);
  console.log(`RSS at start           ${mb(start.rss)} MiB`);
  if (!warm) {
    console.log(`RSS after warm-up      (never warm: only ${seen.size} pairs seen, cache ${cacheMax})`);
    console.log(`RSS at end             ${mb(end.rss)} MiB`);
    console.log('FAIL: the run was too short to fill the decision cache');
    process.exit(1);
  }
  const growth = (end.rss - warm.rss) / warm.rss;
  console.log(`RSS after warm-up      ${mb(warm.rss)} MiB (t=${warmAt}s, cache full)`);
  console.log(`RSS at end             ${mb(end.rss)} MiB (${(growth * 100).toFixed(1)}% vs warm-up)`);
  const pass = Math.abs(growth) <= 0.1;
  console.log(pass ? 'PASS: RSS at end within 10% of RSS after warm-up' : 'FAIL: RSS at end is not within 10% of warm-up');
  process.exit(pass ? 0 : 1);
}

if (process.argv.includes('--gateway')) {
  await runGateway();
} else {
  await drive();
}
