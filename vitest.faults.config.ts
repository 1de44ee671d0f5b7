import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): Redis and PostgreSQL stopped mid-stream, the process killed
// mid-batch. Each test starts the servers it stops; the files run one at a time so the kills and restarts
// of one never starve another's timings.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
