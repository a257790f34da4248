// QNX process table from `pidin`: arguments (`-F "%a %A"`), thread states (`-F "%a %J"`) and start
// times (`times`), merged by PID. The layouts read here, and where each is known from, are in
// docs/runtime.md ("Process tables"). In short: the PID is right-aligned in 8 columns, one line per
// process for arguments and times, one line per thread for states; pidin joins arguments with
// spaces (an argument that contains a space cannot be told apart, so qvmctl's own qvm command
// lines must not contain spaces on QNX) and prints them whole, newlines included; a zombie's
// fields that need a live process are blank.
import { loadExeca } from '../load-execa.js';
import type { ProcessEntry, ProcessTable } from './types.js';

export type RunPidin = (args: readonly string[]) => Promise<string>;

/**
 * A line that starts with a PID (pidin right-aligns it in 8 columns): the PID and the rest of the
 * line. Any indentation is accepted: a layout that differs must not hide a process.
 */
const PID_LINE = /^\s*([0-9]+)(?:\s(.*))?$/s;

function pidLine(line: string): { pid: number; rest: string } | undefined {
  const match = PID_LINE.exec(line);
  return match === null ? undefined : { pid: Number(match[1]), rest: match[2] ?? '' };
}

/**
 * pidin's views are lines, and an argument may hold a newline: a process's arguments can print a
 * line that reads like another process's. The thread-state view (`%a %J`) holds no text anyone
 * chose, so its PIDs are the processes that live; a line for one of them that says something else
 * than that process's own line cannot be told from it. The look then fails: a table that may hide
 * or invent a qvm is no table (docs/runtime.md, "Process tables").
 */
export class AmbiguousProcessTableError extends Error {
  override readonly name = 'AmbiguousProcessTableError';
  constructor(readonly pid: number, readonly view: string) {
    super(`pidin ${view} lists process ${pid} twice, with different text: another process's arguments hold a line that reads like ${pid}'s, so qvmctl cannot tell which is ${pid}'s and acts on nothing until that process is gone (find it with \`pidin -F '%a %A'\`)`);
  }
}

/**
 * The lines of a per-process view, PID → its line's text (continuation lines joined with `\n`).
 * pidin lists processes by ascending PID and prints an argument's newline as it is. Without
 * `live`, a line that does not start with a PID, or whose PID is lower than the one before,
 * continues the process before it. With `live` (the PIDs of the thread-state view), a line for a
 * live PID always begins that process's entry, so no text can hide a process; one for a PID that
 * no longer lives begins an entry only in PID order (a process that ended between the views), and
 * is left out; any other line continues the entry before it.
 */
function processLines(text: string, view: string, live?: ReadonlySet<number>): Map<number, string> {
  const joined = new Map<number, string>();
  let last: number | undefined;
  // The process the lines now belong to; undefined while they belong to one that is left out.
  let current: number | undefined;
  for (const line of text.split('\n')) {
    const parsed = pidLine(line);
    const begins = parsed !== undefined && (live === undefined
      ? last === undefined || parsed.pid >= last
      : live.has(parsed.pid) || last === undefined || parsed.pid > last);
    if (parsed !== undefined && begins) {
      last = Math.max(last ?? parsed.pid, parsed.pid);
      if (live !== undefined && !live.has(parsed.pid)) {
        current = undefined;
        continue;
      }
      current = parsed.pid;
      const known = joined.get(parsed.pid);
      // The same PID again: a view with a line per thread repeats it, adding nothing.
      if (known === undefined) joined.set(parsed.pid, parsed.rest);
      else if (live !== undefined && known !== parsed.rest) throw new AmbiguousProcessTableError(parsed.pid, view);
    } else if (current !== undefined) {
      joined.set(current, `${joined.get(current) ?? ''}\n${line}`);
    }
  }
  return joined;
}

/**
 * PID → argv from `pidin -F "%a %A"` output (processLines for which line is whose; with `live`,
 * the PIDs of the thread-state view, no argument can hide or invent a process).
 */
export function parsePidinArgs(text: string, live?: ReadonlySet<number>): Map<number, string[]> {
  const result = new Map<number, string[]>();
  for (const [pid, args] of processLines(text, "-F '%a %A'", live)) {
    const trimmed = args.trim();
    result.set(pid, trimmed.length === 0 ? [] : trimmed.split(/\s+/));
  }
  return result;
}

/** PID → thread states from `pidin -F "%a %J"` output (one line per thread; blank for a zombie). */
export function parsePidinStates(text: string): Map<number, string[]> {
  const result = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const parsed = pidLine(line);
    if (parsed === undefined) continue;
    result.set(parsed.pid, [...(result.get(parsed.pid) ?? []), parsed.rest.trim()]);
  }
  return result;
}

interface TimesLine {
  readonly start: string;
  readonly name: string;
}

/**
 * `pidin times`: `pid name sid start utime stime cutime cstime`. The start time is three words
 * (`Mar 14 09:26`, or `Mar 14  2024` for a process started more than 182 days ago) and each CPU
 * time one word; the name may contain spaces and the sid is blank for session 0, so the fields are
 * counted from the end.
 */
function parseTimesLines(text: string, live?: ReadonlySet<number>): Map<number, TimesLine> {
  const result = new Map<number, TimesLine>();
  // The name column is the executable's path (its last 18 characters), which may hold a newline too.
  for (const [pid, rest] of processLines(text, 'times', live)) {
    const tokens = rest.trim().split(/\s+/);
    if (tokens.length < 8) continue;
    result.set(pid, { start: tokens.slice(-7, -4).join(' '), name: tokens.slice(0, -7).join(' ') });
  }
  return result;
}

/** PID → start time (its three words, single-spaced) from `pidin times` output. */
export function parsePidinTimes(text: string): Map<number, string> {
  return new Map([...parseTimesLines(text)].map(([pid, line]) => [pid, line.start]));
}

// pidin shows a zombie (ended, not reaped) as `(Zombie)` in the name column, with blank arguments
// and a blank state; a process whose every thread is DEAD is ending too. A blank state alone does
// not make a zombie: a live qvm taken for gone would let a shutdown go on.
function isZombie(states: readonly string[] | undefined, name: string | undefined, argv: readonly string[]): boolean {
  if (name === '(Zombie)') return true;
  if (states === undefined || states.length === 0) return false;
  return states.every((s) => s === 'DEAD') || (argv.length === 0 && states.every((s) => s === ''));
}

export function mergePidinViews(args: string, states: string, times: string): ProcessEntry[] {
  const statesByPid = parsePidinStates(states);
  const live = new Set(statesByPid.keys());
  const argvByPid = parsePidinArgs(args, live);
  const timesByPid = parseTimesLines(times, live);
  const entries: ProcessEntry[] = [];
  for (const [pid, argv] of argvByPid) {
    const line = timesByPid.get(pid);
    if (line === undefined) continue;
    entries.push({ pid, start: line.start, zombie: isZombie(statesByPid.get(pid), line.name, argv), argv });
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
        // pidin exits 1 for a PID that no process has.
        return (await snapshot(pid)).find((e) => e.pid === pid);
      } catch {
        return undefined;
      }
    },
  };
}
