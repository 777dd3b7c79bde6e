import { defineConfig } from 'vitest/config';

// Lab tests (*.lab.test.ts) share one set of network namespaces per file and
// need root; they run in the same pool but never in parallel with each other.
export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts', 'e2e/**/*.test.ts', 'build/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
