// Runs simulated qvm guests (the built dist/sim/main.js) in a temp QVM_SIM_DIR, reads and waits on
// the simulator's journal, and ends leftover guests without SIGKILL. Shared by sim, runtime and e2e tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SIM_NODE_FLAGS } from '../../src/sim/launch.js';
import { makeTempDir, removeDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export const SIM_MAIN = resolve(import.meta.dirname, '..', '..', 'dist', 'sim', 'main.js');

/** argv that runs the built simulator with its flags: prepend to qvm-sim arguments. */
export const SIM_ARGV: readonly string[] = [process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN];

export interface SimJournalLine {
  readonly time: number;
  readonly system: string;
  readonly pid: number;
  readonly event: string;
  readonly signal?: string;
  readonly action?: string;
  readonly code?: number;
  readonly kind?: string;
  readonly reason?: string;
}

export interface SimRun {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name if killed by one). */
  readonly exited: Promise<number | NodeJS.Signals>;
  stdout(): string;
  stderr(): string;
}

export interface SimDir {
  readonly dir: string;
  /** Writes `<name>.qvmconf` into the dir and returns its path. */
  writeConf(name: string, text: string): string;
  /** Starts `qvm-sim` with these arguments (e.g. `@conf`), QVM_SIM_DIR set to this dir. */
  start(args: readonly string[]): SimRun;
  /** Runs a qvm-sim command to its end (dryrun, guest, reset). */
  run(args: readonly string[]): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }>;
  journal(): SimJournalLine[];
  waitForJournal(predicate: (line: SimJournalLine) => boolean, timeoutMs?: number): Promise<SimJournalLine>;
  /** Power-cuts (SIGQUIT) every guest still running from this dir, then removes the dir. */
  cleanup(): Promise<void>;
}

/** A minimal valid configuration with knobs, e.g. `simConf('a', 'boot-ms=20 shutdown-ms=20')`. */
export function simConf(system: string, knobs = 'boot-ms=20 shutdown-ms=20', extra = ''): string {
  return `system ${system}\n# qvm-sim: ${knobs}\ncpu\nram 0x80000000,64M\n${extra}\n`;
}

export function readSimJournal(dir: string): SimJournalLine[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SimJournalLine);
}

function spawnSim(dir: string, args: readonly string[]): SimRun {
  const [command = process.execPath, ...rest] = SIM_ARGV;
  const child = spawn(command, [...rest, ...args], { env: { ...process.env, QVM_SIM_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | NodeJS.Signals>((resolveExit) => {
    child.on('close', (code, signal) => { resolveExit(code ?? signal ?? -1); });
  });
  if (child.pid === undefined) throw new Error('qvm-sim did not start');
  return { child, pid: child.pid, exited, stdout: () => out, stderr: () => err };
}

export async function createSimDir(prefix = 'sim'): Promise<SimDir> {
  const dir = await makeTempDir(prefix);
  const runs: SimRun[] = [];
  return {
    dir,
    writeConf(name, text) {
      const path = join(dir, `${name}.qvmconf`);
      writeFileSync(path, text);
      return path;
    },
    start(args) {
      const run = spawnSim(dir, args);
      runs.push(run);
      return run;
    },
    async run(args) {
      const run = spawnSim(dir, args);
      runs.push(run);
      const code = await run.exited;
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    },
    journal: () => readSimJournal(dir),
    waitForJournal(predicate, timeoutMs = 10_000) {
      return waitFor(() => readSimJournal(dir).find(predicate), { timeoutMs, message: `journal line in ${dir}` });
    },
    async cleanup() {
      const running = runs.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
      for (const run of running) run.child.kill('SIGQUIT');
      await Promise.all(running.map((r) => r.exited));
      await removeDir(dir);
    },
  };
}
