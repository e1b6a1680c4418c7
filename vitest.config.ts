import { defineConfig } from 'vitest/config';

// Two cores: two test files at a time. Suites that start services (PostgreSQL, slapd,
// Chromium, SoftHSM) do it themselves on 127.0.0.1; the shared PostgreSQL cluster is
// started once by test/support/globalSetup.ts.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/globalSetup.ts'],
    reporters: ['default'],
  },
});
