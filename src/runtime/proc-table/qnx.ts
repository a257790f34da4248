// QNX process table from `pidin`: arguments (`-F "%a %A"`), thread states (`-F "%a %J"`) and start
// times (`times`). pidin prints one line per thread in some views; lines are merged by PID.
// pidin joins arguments with spaces, so an argument that contains a space cannot be told apart;
// qvmctl's own qvm command lines (state directory paths) must not contain spaces on QNX.
import { loadExeca } from '../load-execa.js';
import type { ProcessEntry, ProcessTable } from './types.js';

export type RunPidin = (args: readonly string[]) => Promise<string>;

const PID_LINE = /^\s*([0-9]+)\s*(.*)$/;

/** PID → argv from `pidin -F "%a %A"` output. */
export function parsePidinArgs(text: string): Map<number, string[]> {
  const result = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const match = PID_LINE.exec(line);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (result.has(pid)) continue;
    const args = (match[2] ?? '').trim();
    result.set(pid, args.length === 0 ? [] : args.split(/\s+/));
  }
  return result;
}

/** PID → thread states from `pidin -F "%a %J"` output (one line per thread). */
export function parsePidinStates(text: string): Map<number, string[]> {
  const result = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const match = PID_LINE.exec(line);
    if (match === null) continue;
    const pid = Number(match[1]);
    const state = (match[2] ?? '').trim();
    result.set(pid, [...(result.get(pid) ?? []), state]);
  }
  return result;
}

/**
 * PID → start time from `pidin times` output:
 * `pid name sid <start time: 3 words> utime stime cutime cstime`; the name may contain spaces.
 */
export function parsePidinTimes(text: string): Map<number, string> {
  const result = new Map<number, string>();
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 9 || !/^[0-9]+$/.test(tokens[0] ?? '')) continue;
    const pid = Number(tokens[0]);
    const start = tokens.slice(-7, -4).join(' ');
    if (!result.has(pid)) result.set(pid, start);
  }
  return result;
}

// A process whose every thread is dead is ended but not yet reaped.
function isZombie(states: readonly string[] | undefined): boolean {
  return states !== undefined && states.length > 0 && states.every((s) => s === 'DEAD' || s === 'ZOMBIE');
}

export function mergePidinViews(args: string, states: string, times: string): ProcessEntry[] {
  const argvByPid = parsePidinArgs(args);
  const statesByPid = parsePidinStates(states);
  const startByPid = parsePidinTimes(times);
  const entries: ProcessEntry[] = [];
  for (const [pid, argv] of argvByPid) {
    const start = startByPid.get(pid);
    if (start === undefined) continue;
    entries.push({ pid, start, zombie: isZombie(statesByPid.get(pid)), argv });
  }
  return entries;
}

const defaultRun: RunPidin = async (args) => {
  const { execa } = await loadExeca();
  const result = await execa('pidin', [...args], { stdin: 'ignore', forceKillAfterDelay: false, timeout: 10_000 });
  return result.stdout;
};

export function createQnxProcessTable(run: RunPidin = defaultRun): ProcessTable {
  const snapshot = async (pid?: number): Promise<ProcessEntry[]> => {
    const only = pid === undefined ? [] : ['-p', String(pid)];
    const [args, states, times] = await Promise.all([
      run([...only, '-F', '%a %A']),
      run([...only, '-F', '%a %J']),
      run([...only, 'times']),
    ]);
    return mergePidinViews(args, states, times);
  };
  return {
    async list(filter) {
      return (await snapshot()).filter((e) => !e.zombie && e.argv.length > 0 && filter(e.argv));
    },
    async get(pid) {
      try {
        return (await snapshot(pid)).find((e) => e.pid === pid);
      } catch {
        return undefined;
      }
    },
  };
}
