#!/usr/bin/env node
// Build step: bundles the CLI (src/cli/main.ts and everything it imports) into dist/bin/qvmctl.js,
// with one chunk per lazily loaded command beside it. Node loads a handful of files instead of a few
// hundred modules, which is most of a short command's start-up (docs/architecture.md, "Start-up").
// dist/bin sits two levels below the package root, as every source module does, so the paths the
// code finds from its own location (schemas/, web/, package.json, dist/sim) resolve the same.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outdir = fileURLToPath(new URL('../dist/bin/', import.meta.url));
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { qvmctl: fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)) },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded at run time through createRequire when the precompiled validators are stale.
  external: ['ajv'],
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __qvmctlCreateRequire } from 'node:module'; const require = __qvmctlCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
