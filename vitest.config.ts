import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Generous: a set-up that starts servers or processes can take ten times longer on a busy machine.
    hookTimeout: 120_000,
    // Servers on loopback only; keep parallelism modest on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
