import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: process-heavy suites share them; each test owns its temp directories.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'local', include: ['test/**/*.test.ts'], exclude: ['test/remote/**'] } },
      // Every ssh target is a host of its own but shares this machine's process table, where a host
      // sees every qvm (docs/remote.md): one target at a time, so none sees another's guests. The
      // local project's qvm are the simulator's, seen only by their own state directory, and no local
      // test runs a process named qvm: `npm test` (scripts/test.mjs) runs the two projects side by side.
      { extends: true, test: { name: 'remote', include: ['test/remote/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
