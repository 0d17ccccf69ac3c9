import { defineConfig } from 'vitest/config';

/**
 * Test tiers. unit: no services. integration: the machine's real PostgreSQL (127.0.0.1:5432) and
 * Redis (127.0.0.1:6379), PGlite, real HTTP and socket.io. browser: Debian's Chromium driven by
 * playwright-core against a running Argus. A missing service fails its test; nothing is skipped.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.spec.ts', '{config,contracts,storage,ingest,analytics,models,command-ui,cli}/**/*.spec.ts'],
          exclude: ['**/node_modules/**', 'command-ui/web/dist/**'],
          environment: 'node',
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Three files at a time: the longest (fault tests, camera flap) mostly wait on purpose
          // (a 60 s database outage, a minute of flapping), so a third worker overlaps the waiting.
          maxWorkers: 3,
          // One second try for tests of real processes under a loaded 2-core machine; a test that
          // passes only on it is listed as FLAKY by scripts/test-summary.mjs on every run.
          retry: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          fileParallelism: false,
          retry: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
