import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup-home.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxes are real processes; two cores do not benefit from many forks.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
