/**
 * PDP flood: a PDP that answers every call with a 50 MB body, 50 client connections for 20 s, and the
 * gateway's memory measured. The gateway reads at most 1 MiB of a PDP answer (then it is
 * `pdp_unavailable`), so its RSS must stay far from what 50 × 50 MB would cost.
 *
 *   node --import tsx scripts/pdp-flood.ts
 *
 * The gateway runs in a child process (so its RSS is its own: sampled from /proc every 250 ms, and its
 * peak, VmHWM, read at the end); this process runs the hostile PDP, the kit issuer and autocannon.
 * Env: FLOOD_SECONDS (20), FLOOD_CONNECTIONS (50), FLOOD_MB (50), FLOOD_MODE (`chunked`: no
 * Content-Length, so the cap is met while streaming | `declared`: a Content-Length of FLOOD_MB),
 * PDP_TIMEOUT_MS (2000), FLOOD_LIMIT_MB (300). Exit 0 when the peak RSS stays under FLOOD_LIMIT_MB.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { orgNumbers } from '../bench/lib/shared.js';
import type { ClaimsStore } from '../src/claims/store.js';

const SELF = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;

/** Child: `portvakt serve` as the CLI runs it, with an in-memory claims store (the store is not measured). */
async function runGateway() {
  const { loadConfig } = await import('../src/gateway/config.js');
  const { startGateway } = await import('../src/gateway/server.js');
  const empty = { sumForfalteKrav: 0, sumIkkeForfalteKrav: 0, sumStipulerteRenter: 0, sumUplasserteInnbetalinger: 0 };
  const store: ClaimsStore = {
    aapneKrav: async (party) => ({
      partIdentifikator: party,
      aapentKravMedGjenstaaendeBeloep: [],
      innbetalingMedUplassertBeloep: [],
      totalOversikt: { ...empty, saldo: 0 },
      oversiktPerKravgruppe: [],
    }),
    krav: async (party) => ({ partIdentifikator: party, krav: [] }),
    innbetalinger: async (party) => ({ partIdentifikator: party, innbetalinger: [] }),
    ping: async () => undefined,
    close: async () => undefined,
  };
  const gateway = await startGateway(loadConfig(process.env), { host: '127.0.0.1', store });
  await gateway.portvakt.loadKeys();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'loop') {
      process.send?.({ type: 'loop', p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
    }
    if (message.type === 'stop') void gateway.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port: gateway.port });
}

/** A PDP that answers every call with `megabytes` of whitespace, as fast as the reader takes it. */
async function startFloodingPdp(megabytes: number, declared: boolean) {
  const chunk = Buffer.alloc(MiB, 0x20);
  let calls = 0;
  let bytesSent = 0;
  const server = http.createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ...(declared ? { 'Content-Length': String(megabytes * MiB) } : {}),
    });
    let sent = 0;
    const pump = () => {
      while (sent < megabytes && !res.destroyed) {
        sent++;
        bytesSent += chunk.length;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/authorize`,
    stats: () => ({ calls, bytesSent }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


/** A process's resident set and its peak so far, in bytes, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const mb = (bytes: number) => (bytes / MiB).toFixed(1);

async function drive() {
  const { createTestIssuer } = await import('../src/testing/index.js');
  const seconds = Number(process.env.FLOOD_SECONDS ?? 20);
  const connections = Number(process.env.FLOOD_CONNECTIONS ?? 50);
  const megabytes = Number(process.env.FLOOD_MB ?? 50);
  const declared = process.env.FLOOD_MODE === 'declared';
  const pdpTimeoutMs = Number(process.env.PDP_TIMEOUT_MS ?? 2000);
  const limit = Number(process.env.FLOOD_LIMIT_MB ?? 300) * MiB;

  const issuer = await createTestIssuer();
  const pdp = await startFloodingPdp(megabytes, declared);
  const child = fork(SELF, ['--gateway'], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      MASKINPORTEN_ISSUER: issuer.issuer,
      ALTINN_PDP_URL: pdp.url,
      PDP_TIMEOUT_MS: String(pdpTimeoutMs),
      PORT: '0',
      LOG_LEVEL: 'warn',
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.on('message', (m: { type: string; port?: number }) => m.type === 'ready' && resolve(m.port!));
  });
  const pid = child.pid!;
  const atStart = memoryOf(pid);
  console.log(
    `gateway pid ${pid} on :${port}, RSS at start ${mb(atStart.rss)} MiB; PDP answers ${megabytes} MB ` +
      `(${declared ? 'declared Content-Length' : 'chunked, no Content-Length'}); ${connections} connections for ${seconds} s`,
  );

  // Distinct parties, so concurrent requests do not share one PDP call (errors are never cached either).
  const parties = orgNumbers(10_000, 80_000_000);
  const token = `Bearer ${issuer.token({ expiresInSeconds: seconds + 600 })}`;
  let next = 0;
  let maxSampled = atStart.rss;
  const sampler = setInterval(() => {
    maxSampled = Math.max(maxSampled, memoryOf(pid).rss);
  }, 250);
  const started = Date.now();
  const ticker = setInterval(() => {
    const { rss } = memoryOf(pid);
    console.log(`t=${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  RSS ${mb(rss).padStart(7)} MiB`);
  }, 2000);
  const statuses = new Map<number, number>();
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    timeout: Math.ceil((pdpTimeoutMs + 5000) / 1000),
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          method: 'GET',
          path: `/api/innkreving/kravogbetalinger/v1/${parties[next++ % parties.length]}/aapnekrav`,
          headers: { authorization: token },
        }),
      },
    ],
  });
  instance.on('response', (_client, statusCode) => statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1));
  const result = await new Promise<autocannon.Result>((resolve) => instance.on('done', resolve));
  clearInterval(sampler);
  clearInterval(ticker);
  const atEnd = memoryOf(pid);
  const loop = await new Promise<{ p99: number; max: number }>((resolve) => {
    child.on('message', (m: { type: string; p99: number; max: number }) => m.type === 'loop' && resolve(m));
    child.send({ type: 'loop' });
  });
  child.send({ type: 'stop' });
  await Promise.all([issuer.close(), pdp.close()]);

  const statusText = [...statuses].map(([s, n]) => `${s}: ${n}`).join(', ');
  const { calls, bytesSent } = pdp.stats();
  console.log(`\nrequests ${result.requests.total}, errors ${result.errors}, timeouts ${result.timeouts}; statuses ${statusText}`);
  console.log(`latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
  console.log(`PDP calls ${calls}; the PDP wrote ${mb(bytesSent)} MiB (most into sockets the gateway had closed)`);
  console.log(`gateway event-loop delay p99 ${loop.p99.toFixed(0)} ms, max ${loop.max.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`gateway RSS: start ${mb(atStart.rss)} MiB, max sampled ${mb(maxSampled)} MiB, end ${mb(atEnd.rss)} MiB`);
  console.log(`gateway peak RSS (VmHWM) ${mb(atEnd.peak)} MiB`);
  const only503 = [...statuses.keys()].every((s) => s === 503);
  const inTime = result.latency.p99 <= pdpTimeoutMs + 1000;
  // Latency is reported, not judged: on a shared machine the load generator's own lag is part of it.
  console.log(`p99 within PDP_TIMEOUT_MS + 1 s: ${inTime ? 'yes' : 'no'}`);
  const pass = atEnd.peak < limit && only503;
  console.log(
    pass
      ? `PASS: peak RSS under ${mb(limit)} MiB and every answer 503`
      : `FAIL: peak ${mb(atEnd.peak)} MiB (limit ${mb(limit)}), only 503: ${only503}`,
  );
  process.exit(pass ? 0 : 1);
}

if (process.argv.includes('--gateway')) {
  await runGateway();
} else {
  await drive();
}
