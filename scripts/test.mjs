// The vitest part of `npm test`: the `local` project and the `remote` one (vitest.config.ts) side
// by side, in two vitest processes. One vitest runs its projects' groups one after another, and
// the remote group is one file at a time (each ssh target sees every qvm of the machine:
// docs/remote.md, "Tests"), so it would leave a core idle for minutes; the two projects never see
// each other's processes, so they may share the machine. With arguments (a file, `-t`, `--project`),
// it is plain `vitest run <arguments>`.
//
// The local run's output is shown as it comes; the remote run's is held back until the local one
// ends, then shown, so the two never interleave. The exit code is the first failing run's.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const args = process.argv.slice(2);

/** Runs vitest with `args`; `held` output is kept until `release()` and then passed on as it comes. */
function run(runArgs, { held = false } = {}) {
  const started = Date.now();
  const env = held && process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env;
  const child = spawn(process.execPath, [vitest, 'run', ...runArgs], { cwd: root, env, stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const kept = [];
  let releasedTo;
  const pass = (stream, target) => stream?.on('data', (chunk) => {
    if (releasedTo === undefined) kept.push([target, chunk]);
    else target.write(chunk);
  });
  pass(child.stdout, process.stdout);
  pass(child.stderr, process.stderr);
  const done = new Promise((resolve) => {
    child.on('error', (error) => { process.stderr.write(`cannot run vitest: ${error.message}\n`); resolve(1); });
    child.on('close', (code, signal) => { resolve(code ?? (signal === null ? 1 : 128)); });
  }).then((code) => ({ code, seconds: Math.round((Date.now() - started) / 1000) }));
  return {
    child,
    done,
    release() {
      releasedTo = true;
      for (const [target, chunk] of kept.splice(0)) target.write(chunk);
    },
  };
}

const runs = args.length > 0 ? [run(args)] : [run(['--project', 'local']), run(['--project', 'remote'], { held: true })];
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { for (const r of runs) r.child.kill(signal); });
}
const [first, second] = runs;
const firstResult = await first.done;
let code = firstResult.code;
if (second !== undefined) {
  second.release();
  const secondResult = await second.done;
  if (code === 0) code = secondResult.code;
  process.stdout.write(`\nlocal project: ${firstResult.code === 0 ? 'passed' : 'FAILED'} in ${firstResult.seconds} s; remote project (alongside): ${secondResult.code === 0 ? 'passed' : 'FAILED'} in ${secondResult.seconds} s\n`);
}
process.exitCode = code;
