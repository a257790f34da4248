import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: process-heavy suites share them; each test owns its temp directories.
    pool: 'forks',
    maxWorkers: 2,
  },
});
