// How qvm is launched and recognized on this host: a configured binary, or the bundled simulator
// (`dist/sim/main.js`, found from this module's own location, never imported).
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QvmBinary } from '../model/host-spec.js';
import type { ProcessEntry, ProcessTable } from './proc-table/types.js';
import { configFilesOf } from './qvm-system.js';

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
  /** True for the command line of a qvm process: its executable is qvm, whatever its arguments (`isQvmCommandLine`). */
  readonly isQvm: (argv: readonly string[]) => boolean;
  /**
   * Whether a qvm process `isQvm` found runs on this host. Only the simulator has it (a simulated
   * host is its state directory, see `createQvmLauncher`); without it, every qvm is this host's.
   */
  readonly onThisHost?: (entry: ProcessEntry, table: ProcessTable) => Promise<boolean>;
  /** A guest or readiness command as it is run (a bare `qvm-sim` becomes the bundled simulator). */
  readonly resolveCommand: (argv: readonly string[]) => string[];
  /**
   * Whether the console output of a run (from its start, `pid` its qvm) shows qvm past its start-up
   * checks. Only the simulator has it: a Node program, it may get there only after the start grace
   * on a busy host, and the grace lasts until it has (docs/runtime.md, "Start").
   */
  readonly pastStartChecks?: (console: string, pid: number) => boolean;
}

/**
 * Programs that run a script named by their first argument: a qvm that is a wrapper script shows as
 * `/bin/sh /opt/bin/qvm @…` (the `#!` interpreter, then the script), or `node <dir>/qvm @…`.
 */
const SCRIPT_RUNNERS: ReadonlySet<string> = new Set(['sh', 'ksh', 'mksh', 'bash', 'dash', 'ash', 'zsh', 'node', 'nodejs']);

/** The simulator's own commands that are not qvm: `qvm-sim guest|reset|pidin|help …` (docs/simulator.md). */
const SIMULATOR_COMMANDS: ReadonlySet<string> = new Set(['guest', 'reset', 'pidin', 'help', '--help', '-h']);

const lastSegment = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * The one rule both adapters use to tell a qvm process (docs/runtime.md, "Which processes are qvm"):
 * its executable is qvm, whatever its arguments — `qvm @a.conf`, stacked `qvm @a @b`, inline options
 * only, a configuration anywhere. Whose qvm it is (a guest's, or unmanaged) is decided by identity,
 * never here.
 * - A qvm binary: argv[0] is the Host's configured path, or its base name is `qvm` or the configured
 *   path's base name; or argv[0] is a shell or node and argv[1] is so (a qvm wrapper script).
 * - The simulator: the bundled entry, or a `qvm-sim` link to it, run by node (with or without its
 *   flags), in qvm mode (any arguments but the simulator's own commands).
 */
export function isQvmCommandLine(argv: readonly string[], qvm: QvmBinary): boolean {
  if (qvm.kind === 'simulator') return simulatorQvmArgs(argv) !== undefined;
  const names = new Set(['qvm', lastSegment(qvm.path)]);
  const named = (word: string | undefined): boolean => word !== undefined && (word === qvm.path || names.has(lastSegment(word)));
  const [first, second] = argv;
  return named(first) || (SCRIPT_RUNNERS.has(lastSegment(first ?? '')) && named(second));
}

/** The arguments of a simulator command line in qvm mode, or undefined when it is not one. */
function simulatorQvmArgs(argv: readonly string[]): readonly string[] | undefined {
  // The simulator's entry comes after node and its flags: look for it among the first words.
  const at = argv.slice(1, 2 + SIMULATOR_NODE_FLAGS.length + 2).findIndex((a) => a === SIMULATOR_ENTRY || lastSegment(a) === SIMULATOR_BIN);
  if (at < 0) return undefined;
  const args = argv.slice(at + 2);
  return args.length === 0 || SIMULATOR_COMMANDS.has(args[0] ?? '') ? undefined : args;
}

/** The qvm processes among `entries` that run on this host (all of them, but for a simulated host). */
export async function onThisHost(launcher: QvmLauncher, table: ProcessTable, entries: readonly ProcessEntry[]): Promise<ProcessEntry[]> {
  const { onThisHost: here } = launcher;
  if (here === undefined) return [...entries];
  const keep = await Promise.all(entries.map((e) => here(e, table)));
  return entries.filter((_, i) => keep[i] === true);
}

/**
 * `stateDir` scopes the simulator: a simulated host is its state directory, and a simulator process
 * runs on it when its `QVM_SIM_DIR` (the simulated host's hardware: docs/simulator.md) is this host's
 * `<stateDir>/sim`, whatever its arguments. Where the process table shows no environment (or a
 * relative `QVM_SIM_DIR` whose working directory cannot be read), one of its `@` configuration files
 * lying under the state directory counts instead. qvm-sim processes of other simulated hosts (other
 * state directories on the same laptop or CI machine) are never seen, let alone signalled. A real
 * qvm is always seen.
 */
export function createQvmLauncher(options: { qvm: QvmBinary; simDir: string; stateDir: string }): QvmLauncher {
  const { qvm } = options;
  if (qvm.kind === 'path') {
    return {
      argv: (conf, extra) => [qvm.path, `@${conf}`, ...extra],
      env: {},
      isQvm: (argv) => isQvmCommandLine(argv, qvm),
      resolveCommand: (argv) => [...argv],
    };
  }
  const sim = [process.execPath, ...SIMULATOR_NODE_FLAGS, SIMULATOR_ENTRY];
  const simDir = resolve(options.simDir);
  const root = resolve(options.stateDir);
  const underRoot = (argv: readonly string[]): boolean => configFilesOf(argv).some((f) => resolve(f).startsWith(`${root}/`));
  return {
    argv: (conf, extra) => [...sim, `@${conf}`, ...extra],
    env: { QVM_SIM_DIR: options.simDir },
    isQvm: (argv) => isQvmCommandLine(argv, qvm),
    onThisHost: async (entry, table) => {
      const environment = await table.environment?.(entry.pid);
      if (environment === undefined) return underRoot(entry.argv);
      const value = environment.variables.get('QVM_SIM_DIR');
      // Unset or empty: the simulator's default directory under the temp dir, never a state directory's.
      if (value === undefined || value === '') return false;
      if (isAbsolute(value)) return resolve(value) === simDir;
      return environment.cwd === undefined ? underRoot(entry.argv) : resolve(environment.cwd, value) === simDir;
    },
    resolveCommand: (argv) => (argv[0] === SIMULATOR_BIN ? [...sim, ...argv.slice(1)] : [...argv]),
    // `<system>: booting (qvm-sim pid N)`, written once the simulator has claimed the guest's
    // hardware, after every check that ends it with 65 or 64 (docs/simulator.md, docs/runtime.md).
    pastStartChecks: (console, pid) => console.includes(`: booting (qvm-sim pid ${pid})`),
  };
}
