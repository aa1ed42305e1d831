import os from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Workers for the unit files and the soak: the soak holds one for its two minutes while the unit
 * files go through the others (projects run together only when their worker counts are equal).
 */
const workers = Math.max(2, os.availableParallelism() - 1);

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
          maxWorkers: workers,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/loader-soak.test.ts'],
          // One real stack (MariaDB single, Spider head + 2 leaves, Kafka) for every integration file.
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The servers share 2 cores with the tests; files run one at a time to keep timings sane.
          fileParallelism: false,
        },
      },
      {
        test: {
          // The 2-minute soak restarts its broker and database, so it has a stack of its own and
          // runs beside the unit files instead of after the integration files.
          name: 'integration-soak',
          include: ['test/integration/loader-soak.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 420_000,
          maxWorkers: workers,
        },
      },
    ],
  },
});
