// How qvm is launched and recognized on this host: a configured binary, or the bundled simulator
// (`dist/sim/main.js`, found from this module's own location, never imported).
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QvmBinary } from '../model/host-spec.js';

/** The package root: this file lives in `src/runtime/` or `dist/runtime/`. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SIMULATOR_ENTRY = resolve(PACKAGE_ROOT, 'dist', 'sim', 'main.js');
export const SIMULATOR_BIN = 'qvm-sim';
/**
 * Node flags that keep one simulated guest small, put before the entry as docs/simulator.md says
 * (the simulator cannot apply them itself without re-executing, which would change its PID).
 */
export const SIMULATOR_NODE_FLAGS: readonly string[] = [
  '--jitless',
  '--no-expose-wasm',
  '--max-semi-space-size=1',
  '--max-old-space-size=32',
  '--single-threaded',
  '--v8-pool-size=0',
];

export interface QvmLauncher {
  /** Full argv to run qvm with this config file and extra arguments. */
  readonly argv: (confPath: string, extraArgs: readonly string[]) => string[];
  /** Environment added to qvm and to guest/readiness commands. */
  readonly env: Readonly<Record<string, string>>;
  /** True for the command line of a qvm process of this host (binary + an `@…qvmconf` argument). */
  readonly isQvm: (argv: readonly string[]) => boolean;
  /** A guest or readiness command as it is run (a bare `qvm-sim` becomes the bundled simulator). */
  readonly resolveCommand: (argv: readonly string[]) => string[];
}

export function hasConfArgument(argv: readonly string[]): boolean {
  return argv.some((a) => a.startsWith('@') && a.endsWith('.qvmconf'));
}

export function hasConfArgumentUnder(argv: readonly string[], root: string): boolean {
  const prefix = `@${root.endsWith('/') ? root : `${root}/`}`;
  return argv.some((a) => a.startsWith(prefix) && a.endsWith('.qvmconf'));
}

/**
 * `stateDir` scopes the simulator: a simulated host is its state directory, so qvm-sim processes
 * whose configuration lies outside it belong to other simulated hosts (other state directories on
 * the same laptop or CI machine) and are never seen, let alone signalled. A real qvm is always seen.
 */
export function createQvmLauncher(options: { qvm: QvmBinary; simDir: string; stateDir: string }): QvmLauncher {
  const { qvm } = options;
  if (qvm.kind === 'path') {
    const name = basename(qvm.path);
    return {
      argv: (conf, extra) => [qvm.path, `@${conf}`, ...extra],
      env: {},
      // argv[1] covers a qvm wrapper script run by its interpreter (`/bin/sh /opt/bin/qvm @…`).
      isQvm: (argv) => argv.slice(0, 2).some((a) => basename(a) === name) && hasConfArgument(argv),
      resolveCommand: (argv) => [...argv],
    };
  }
  const sim = [process.execPath, ...SIMULATOR_NODE_FLAGS, SIMULATOR_ENTRY];
  return {
    argv: (conf, extra) => [...sim, `@${conf}`, ...extra],
    env: { QVM_SIM_DIR: options.simDir },
    // The simulator may re-launch node with flags of its own: look for its entry among the first words.
    isQvm: (argv) => argv.slice(0, 2 + SIMULATOR_NODE_FLAGS.length + 2).includes(SIMULATOR_ENTRY) && hasConfArgumentUnder(argv, options.stateDir),
    resolveCommand: (argv) => (argv[0] === SIMULATOR_BIN ? [...sim, ...argv.slice(1)] : [...argv]),
  };
}
