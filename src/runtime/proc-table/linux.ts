// Linux process table from /proc: argv from `cmdline`, state and start time from `stat`.
// /proc files are generated in memory: synchronous reads take microseconds, while each async
// readFile costs several thread-pool round trips (a scan of 100 processes: ~1 ms against ~100 ms).
//
// A table remembers what it read of each process: a scan reads every process's `stat` (its start
// time and command name) and reads `cmdline`, `environ` and `cwd` again only for a process it has
// not seen with that PID, start time and command name. An `exec` changes the command name, and a
// reused PID the start time, so what is remembered is always the process's own; an empty command
// line (a process caught mid-exec) is not remembered (docs/runtime.md, "Process tables").
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import type { ProcessEntry, ProcessEnvironment, ProcessTable } from './types.js';

export interface StatFields {
  /** Field 2, the command name (without its parentheses): changed by every `exec`. */
  readonly comm: string;
  readonly state: string;
  /** Field 9 has PF_KTHREAD: a kernel thread, whose `cmdline` is always empty. */
  readonly kernelThread: boolean;
  /** Field 22, start time in clock ticks since boot. */
  readonly start: string;
}

// The command name (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
export function parseProcStat(text: string): StatFields | undefined {
  const close = text.lastIndexOf(')');
  const open = text.indexOf('(');
  if (close < 0 || open < 0 || open > close) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  if (state === undefined || start === undefined || !/^[0-9]+$/.test(start)) return undefined;
  const flags = Number(rest[6] ?? 0);
  return { comm: text.slice(open + 1, close), state, kernelThread: Math.floor(flags / PF_KTHREAD) % 2 === 1, start };
}

const PF_KTHREAD = 0x0020_0000;

/** `btime` of /proc/stat: the boot time in epoch seconds, as epoch ms. */
export function parseBootTime(procStat: string): number | undefined {
  const match = /^btime (\d+)$/m.exec(procStat);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
}

/** `/proc/PID/environ`: NUL-separated `NAME=value` entries (the environment the process started with). */
export function parseEnviron(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const entry of parseCmdline(text)) {
    const eq = entry.indexOf('=');
    if (eq > 0 && !variables.has(entry.slice(0, eq))) variables.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return variables;
}

export function parseCmdline(text: string): string[] {
  if (text.length === 0) return [];
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

// One buffer for every /proc read: a scan reads two small files per process, and reading into a
// reused buffer halves the cost of a scan against readFileSync (which sizes and allocates each time).
const scratch = Buffer.allocUnsafe(64 * 1024);

/** The file's text, or undefined when it cannot be read (the process ended). */
function readProcText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, scratch, 0, scratch.length, 0);
    // A command line longer than the buffer: read it whole (rare).
    return length < scratch.length ? scratch.toString('utf8', 0, length) : readFileSync(path, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface Known {
  /** Start time and command name: the same process while both are. */
  readonly key: string;
  readonly argv: string[];
  environment?: ProcessEnvironment;
}

export function createLinuxProcessTable(procRoot = '/proc'): ProcessTable {
  const known = new Map<number, Known>();
  const readArgv = (pid: number): string[] | undefined => {
    const text = readProcText(`${procRoot}/${pid}/cmdline`);
    return text === undefined ? undefined : parseCmdline(text);
  };
  // The process now at `pid` as its `stat` tells, with its argv remembered or read.
  const read = (pid: number): { entry: ProcessEntry; known: Known | undefined } | undefined => {
    const text = readProcText(`${procRoot}/${pid}/stat`);
    const stat = text === undefined ? undefined : parseProcStat(text);
    if (stat === undefined) {
      known.delete(pid);
      return undefined;
    }
    if (stat.state === 'Z' || stat.state === 'X') {
      known.delete(pid);
      return { entry: { pid, start: stat.start, zombie: true, argv: [] }, known: undefined };
    }
    const key = `${stat.start} ${stat.comm}`;
    let seen = known.get(pid);
    if (seen?.key !== key) {
      const argv = readArgv(pid);
      if (argv === undefined) {
        known.delete(pid);
        return undefined;
      }
      seen = { key, argv };
      // An empty command line is remembered only for a kernel thread. A process in the middle of an
      // exec shows its new name before its new arguments are in place, and reads empty then.
      if (argv.length > 0 || stat.kernelThread) known.set(pid, seen);
      else known.delete(pid);
    }
    return { entry: { pid, start: stat.start, zombie: false, argv: seen.argv }, known: seen };
  };
  let bootTimeMs: number | undefined;
  return {
    get: (pid) => Promise.resolve(read(pid)?.entry),
    bootTimeMs() {
      bootTimeMs ??= parseBootTime(readProcText(`${procRoot}/stat`) ?? '');
      return bootTimeMs;
    },
    environment(pid) {
      const seen = read(pid)?.known;
      if (seen?.environment !== undefined) return Promise.resolve(seen.environment);
      const text = readProcText(`${procRoot}/${pid}/environ`);
      if (text === undefined) return Promise.resolve(undefined);
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`${procRoot}/${pid}/cwd`);
      } catch {
        cwd = undefined;
      }
      const environment: ProcessEnvironment = { variables: parseEnviron(text), cwd };
      // (An empty environment may be one caught mid-exec: read again next time.)
      if (seen !== undefined && environment.variables.size > 0) seen.environment = environment;
      return Promise.resolve(environment);
    },
    list(filter) {
      const entries: ProcessEntry[] = [];
      const listed = new Set<number>();
      for (const name of readdirSync(procRoot)) {
        if (!/^[0-9]+$/.test(name)) continue;
        const pid = Number(name);
        listed.add(pid);
        const one = read(pid)?.entry;
        if (one === undefined || one.zombie || one.argv.length === 0 || !filter(one.argv)) continue;
        entries.push(one);
      }
      for (const pid of known.keys()) if (!listed.has(pid)) known.delete(pid);
      return Promise.resolve(entries);
    },
  };
}
