// The vitest part of `npm test`: the `local` project and the `remote` one (vitest.config.ts) side
// by side, in two vitest processes. One vitest runs its projects' groups one after another, and
// the remote group is one file at a time (each ssh target sees every qvm of the machine,
// vitest.config.ts), so it would leave a core idle for minutes; the two projects never see
// each other's processes, so they may share the machine. With arguments (a file, `-t`, `--project`),
// it is plain `vitest run <arguments>`.
//
// The first run's output is shown as it comes; the second's is held back until the first ends,
// then shown, so the two never interleave. The exit code is the first failing run's.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `argv`; `held` output is kept until `release()` and then passed on as it comes. */
function run(argv, { held = false } = {}) {
  const started = Date.now();
  const env = held && process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env;
  const [command, ...args] = argv;
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', held ? 'pipe' : 'inherit', held ? 'pipe' : 'inherit'] });
  const kept = [];
  let released = false;
  const pass = (stream, target) => stream?.on('data', (chunk) => {
    if (released) target.write(chunk);
    else kept.push([target, chunk]);
  });
  pass(child.stdout, process.stdout);
  pass(child.stderr, process.stderr);
  const done = new Promise((resolve) => {
    child.on('error', (error) => { process.stderr.write(`cannot run ${command}: ${error.message}\n`); resolve(1); });
    child.on('close', (code, signal) => { resolve(code ?? (signal === null ? 1 : 128)); });
  }).then((code) => ({ code, seconds: Math.round((Date.now() - started) / 1000) }));
  return {
    child,
    done,
    release() {
      released = true;
      for (const [target, chunk] of kept.splice(0)) target.write(chunk);
    },
  };
}

/**
 * Runs `runs` (each `{ name, argv }`) at once: the first one's output as it comes, every later one's
 * after the runs before it have ended. Resolves to the first non-zero exit code, or 0.
 */
export async function sideBySide(runs) {
  const started = runs.map((r, i) => ({ ...r, run: run(r.argv, { held: i > 0 }) }));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => { for (const s of started) s.run.child.kill(signal); });
  }
  const results = [];
  for (const s of started) {
    s.run.release();
    const { code, seconds } = await s.run.done;
    results.push(`${s.name}: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s`);
  }
  const codes = await Promise.all(started.map((s) => s.run.done.then((r) => r.code)));
  if (started.length > 1) process.stdout.write(`\n${results.join('; ')}\n`);
  return codes.find((c) => c !== 0) ?? 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const vitest = [process.execPath, join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run'];
  const args = process.argv.slice(2);
  process.exitCode = await sideBySide(args.length > 0
    ? [{ name: 'vitest', argv: [...vitest, ...args] }]
    : [{ name: 'local project', argv: [...vitest, '--project', 'local'] }, { name: 'remote project (alongside)', argv: [...vitest, '--project', 'remote'] }]);
}
