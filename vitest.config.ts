import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // GPU work on software adapters is CPU-bound: one file at a time keeps timings sane on 2 cores.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // The block shapes of src/kernels/tuning.ts, never this machine's tuning cache (nor a search).
    env: { GEMSTONE_TUNING: 'defaults' },
  },
});
