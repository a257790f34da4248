#!/usr/bin/env node
// Build step: bundles the CLI (src/cli/program.ts and everything it imports) into one CommonJS file,
// dist/bin/qvmctl.cjs, and writes V8's code cache for it, dist/bin/qvmctl.cjs.cache, made by running
// the short commands once in this process. dist/bin/qvmctl.js, the `qvmctl` executable, compiles the
// bundle with that cache: Node 20 has a code cache for CommonJS scripts run through node:vm only, and
// compiling is most of a short command's start-up (docs/architecture.md, "Start-up").
// dist/bin sits two levels below the package root, as every source module does, so the paths the
// code finds from its own location (schemas/, web/, package.json, dist/sim) resolve the same.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outdir = fileURLToPath(new URL('../dist/bin/', import.meta.url));
const manifests = fileURLToPath(new URL('../manifests/', import.meta.url));
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { qvmctl: fileURLToPath(new URL('../src/cli/program.ts', import.meta.url)) },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Loaded at run time through createRequire when the precompiled validators are stale.
  external: ['ajv'],
  // Every module of the bundle is in dist/bin: its URL is the bundle's.
  define: { 'import.meta.url': '__qvmctlUrl' },
  banner: { js: "const __qvmctlUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// A script compiled through node:vm with a code cache cannot import(): every lazy load must be of a
// module of the bundle (esbuild turns those into calls), never import() of a Node built-in.
const bundled = await readFile(join(outdir, 'qvmctl.cjs'), 'utf8');
const dynamic = bundled.match(/\bimport\((["'`])[^"'`]*\1\)/g);
if (dynamic !== null) throw new Error(`the CLI bundle keeps import() of ${dynamic.join(', ')}: import a module of src/ that imports it statically instead`);

// The entry: compile the bundle with the cache (V8 rejects a cache of another V8, other flags or
// other source, and then compiles as if there were none), run it as a CommonJS module, run the CLI.
await writeFile(join(outdir, 'qvmctl.js'), `#!/usr/bin/env node
// qvmctl: runs the CLI bundle beside this file through V8's code cache (scripts/bundle-cli.mjs).
import { loadCli } from './load-cli.cjs';

process.exitCode = await loadCli().runCli(process.argv);
`, { mode: 0o755 });
await writeFile(join(outdir, 'load-cli.cjs'), `'use strict';
// Compiles dist/bin/qvmctl.cjs with its code cache when there is one that V8 accepts.
const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, 'qvmctl.cjs');

function compile() {
  let cachedData;
  try {
    cachedData = readFileSync(\`\${file}.cache\`);
  } catch {
    cachedData = undefined;
  }
  return new vm.Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
}

function run(script) {
  const module = { exports: {}, filename: file, id: file };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, __dirname);
  return module.exports;
}

let loaded;
exports.loadCli = () => (loaded ??= run(compile()));
exports.compile = compile;
exports.run = run;
`);

// The cache holds what V8 compiled until it is made: the functions that validate, plan, status and
// a dry-run shutdown of the example fleet call, and --help (every command's module).
const { compile, run } = createRequire(import.meta.url)(join(outdir, 'load-cli.cjs'));
const script = compile();
const { runCli } = run(script);
const state = await mkdtemp(join(tmpdir(), 'qvmctl-code-cache-'));
const quiet = { out: () => undefined, err: () => undefined };
try {
  for (const args of [['--help'], ['validate', '-f', manifests], ['plan', '-f', manifests], ['status', '-f', manifests], ['shutdown', '--dry-run', '-f', manifests], ['graph', '-f', manifests]]) {
    await runCli(['node', 'qvmctl', ...args, ...(args[0] === '--help' || args[0] === 'validate' || args[0] === 'graph' ? [] : ['--state-dir', state])], quiet);
  }
} finally {
  await rm(state, { recursive: true, force: true });
}
await writeFile(join(outdir, 'qvmctl.cjs.cache'), script.createCachedData());
// A command of the run may have set it; the build itself succeeded.
process.exitCode = 0;
