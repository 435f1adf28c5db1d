import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Servers on loopback only; keep parallelism modest on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
