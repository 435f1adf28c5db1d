#!/usr/bin/env node
/**
 * `npm run test:loaded`: the test suite with four CPU-busy processes running beside it, a load of about
 * 6 on a 2-core machine. A test that races the wall clock or counts what the scheduler decides fails
 * here first. TEST_LOADED_BUSY sets the number of busy processes (default 4).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

const busyCount = Number(process.env.TEST_LOADED_BUSY ?? 4);
if (!Number.isSafeInteger(busyCount) || busyCount < 0) throw new Error('TEST_LOADED_BUSY must be a non-negative integer');

// Each spins on its own core-time until it is killed; no I/O, so only the CPU is contended.
const busy = Array.from({ length: busyCount }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const stopBusy = () => {
  for (const child of busy) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopBusy();
    process.exit(130);
  });
}

const started = performance.now();
process.stderr.write(
  `test:loaded: ${busyCount} busy processes beside the suite (${os.availableParallelism()} cores, load ${os.loadavg()[0]?.toFixed(1)})\n`,
);
const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
vitest.on('exit', (code, signal) => {
  stopBusy();
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  process.stderr.write(`test:loaded: suite finished in ${seconds} s (load ${os.loadavg()[0]?.toFixed(1)})\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
