// `qvm-sim pidin …`: a stand-in for QNX's `pidin`, built from Linux /proc, so that a Linux machine
// can play a QNX host for tests (docs/simulator.md). It prints the views qvmctl reads, in the
// layout of QNX's pidin: `-F "%a %A"` (arguments), `-F "%a %J"` (thread states) and `times`
// (start times), each optionally limited by `-p PID`.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { QvmIo } from './run-qvm.js';

const USAGE = 'usage: pidin [-p pid]... [-F format | times]';

/** Linux's USER_HZ: the unit of the times in /proc/<pid>/stat, 100 on every Linux that runs Node. */
const TICKS_PER_SECOND = 100;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Stat {
  readonly comm: string;
  /** One letter, as in proc(5): R, S, D, Z, X, T, t, I… */
  readonly state: string;
  readonly session: number;
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
  /** Clock ticks since boot. */
  readonly starttime: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process ended while we looked: it is simply not listed.
    return undefined;
  }
}

// The command name may contain spaces and parentheses: fields are counted after the last ')'.
function parseStat(text: string): Stat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const number = (index: number): number => Number(rest[index]);
  const stat = {
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    session: number(3),
    utime: number(11),
    stime: number(12),
    cutime: number(13),
    cstime: number(14),
    starttime: number(19),
  };
  return Number.isInteger(stat.starttime) && Number.isInteger(stat.session) ? stat : undefined;
}

/** QNX thread states for Linux ones; a zombie's threads are DEAD, as pidin shows an unreaped process. */
function qnxState(linux: string): string {
  switch (linux) {
    case 'R': return 'RUNNING';
    case 'S': return 'RECEIVE';
    case 'I': return 'RECEIVE';
    case 'D': return 'SEND';
    case 'T':
    case 't': return 'STOPPED';
    case 'Z':
    case 'X':
    case 'x': return 'DEAD';
    default: return 'READY';
  }
}

/** `Mon DD HH:MM:SS.cc` in UTC: three words, the same every time for one process (until the clock is stepped). */
export function formatStartTime(bootSeconds: number, startTicks: number): string {
  const seconds = bootSeconds + Math.floor(startTicks / TICKS_PER_SECOND);
  const date = new Date(seconds * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${MONTHS[date.getUTCMonth()] ?? '???'} ${two(date.getUTCDate())} ${time}.${two(startTicks % TICKS_PER_SECOND)}`;
}

/** CPU time as pidin prints it: `0.959`, `4m12s`, `2h05m`. */
export function formatCpuTime(ticks: number): string {
  const seconds = ticks / TICKS_PER_SECOND;
  if (seconds < 60) return seconds.toFixed(3);
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor(whole / 60) % 60).padStart(2, '0')}m`;
}

interface Options {
  readonly pids: readonly number[] | undefined;
  readonly view: { readonly kind: 'format'; readonly codes: readonly string[] } | { readonly kind: 'times' } | { readonly kind: 'default' };
}

/** The -F codes this stand-in knows, with pidin's column titles. */
const FORMAT_CODES: Readonly<Record<string, { title: string; width: number; perThread: boolean }>> = {
  a: { title: 'pid', width: 8, perThread: false },
  b: { title: 'tid', width: 3, perThread: true },
  N: { title: 'name', width: -20, perThread: false },
  A: { title: 'Arguments', width: 0, perThread: false },
  J: { title: 'STATE', width: 0, perThread: true },
};

function parseOptions(args: readonly string[]): Options | string {
  let pids: number[] | undefined;
  let view: Options['view'] = { kind: 'default' };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-p' || arg === '-F' || ((arg.startsWith('-p') || arg.startsWith('-F')) && arg.length > 2)) {
      const value = arg.length > 2 ? arg.slice(2) : args[(i += 1)];
      if (value === undefined) return `option ${arg} needs a value`;
      if (arg.startsWith('-p')) {
        if (!/^[0-9]+$/.test(value)) return `-p takes a process ID here, not '${value}'`;
        pids = [...(pids ?? []), Number(value)];
        continue;
      }
      const codes = value.split(/\s+/).filter((c) => c !== '');
      const unknown = codes.find((c) => !/^%[a-zA-Z]$/.test(c) || !(c.slice(1) in FORMAT_CODES));
      if (codes.length === 0 || unknown !== undefined) return `unsupported format '${value}' (this stand-in knows ${Object.keys(FORMAT_CODES).map((c) => `%${c}`).join(' ')})`;
      view = { kind: 'format', codes: codes.map((c) => c.slice(1)) };
    } else if (arg === 'times') {
      view = { kind: 'times' };
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else {
      return `unsupported view '${arg}'`;
    }
  }
  return { pids, view };
}

interface Proc {
  readonly pid: number;
  readonly stat: Stat;
}

function listPids(procRoot: string, only: readonly number[] | undefined): number[] {
  if (only !== undefined) {
    // /proc/<tid> exists for every thread too: only thread group leaders are processes.
    return [...new Set(only)].filter((pid) => new RegExp(`^Tgid:\\s*${pid}$`, 'm').test(readText(`${procRoot}/${pid}/status`) ?? '')).sort((a, b) => a - b);
  }
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9]+$/.test(n)).map(Number).sort((a, b) => a - b);
}

function readProc(procRoot: string, pid: number): Proc | undefined {
  const text = readText(`${procRoot}/${pid}/stat`);
  const stat = text === undefined ? undefined : parseStat(text);
  return stat === undefined ? undefined : { pid, stat };
}

/** pidin joins arguments with spaces; a newline inside one would split the line, so it becomes a space. */
function argumentsOf(procRoot: string, pid: number): string {
  const text = readText(`${procRoot}/${pid}/cmdline`) ?? '';
  const trimmed = text.endsWith('\0') ? text.slice(0, -1) : text;
  return trimmed.split('\0').join(' ').replace(/[\n\r]/g, ' ');
}

/** The executable as pidin names it (a path without its leading '/'), or the command name. */
function nameOf(procRoot: string, proc: Proc): string {
  try {
    return readlinkSync(`${procRoot}/${proc.pid}/exe`).replace(/^\//, '');
  } catch {
    // Kernel threads and other users' processes: the command name is all there is.
    return proc.stat.comm === '' ? '?' : proc.stat.comm;
  }
}

function threadsOf(procRoot: string, proc: Proc): { tid: number; stat: Stat }[] {
  let names: string[];
  try {
    names = readdirSync(`${procRoot}/${proc.pid}/task`);
  } catch {
    return [];
  }
  return names.map(Number).filter((tid) => Number.isInteger(tid)).sort((a, b) => a - b).flatMap((tid) => {
    const text = readText(`${procRoot}/${proc.pid}/task/${tid}/stat`);
    const stat = text === undefined ? undefined : parseStat(text);
    return stat === undefined ? [] : [{ tid, stat }];
  });
}

function pad(text: string, width: number): string {
  return width >= 0 ? text.padStart(width) : text.padEnd(-width);
}

function formatView(procRoot: string, procs: readonly Proc[], codes: readonly string[]): string[] {
  const columns = codes.map((code) => FORMAT_CODES[code] ?? { title: code, width: 0, perThread: false });
  const row = (cells: readonly string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, columns[i]?.width ?? 0))).join(' ');
  const lines = [row(columns.map((c) => c.title))];
  const perThread = columns.some((c) => c.perThread);
  for (const proc of procs) {
    const args = codes.includes('A') ? argumentsOf(procRoot, proc.pid) : '';
    const name = codes.includes('N') ? nameOf(procRoot, proc) : '';
    const threads = perThread ? threadsOf(procRoot, proc) : [{ tid: proc.pid, stat: proc.stat }];
    for (const thread of threads) {
      const cell = (code: string): string => {
        switch (code) {
          case 'a': return String(proc.pid);
          case 'b': return String(threads.indexOf(thread) + 1);
          case 'N': return name;
          case 'A': return args;
          default: return qnxState(thread.stat.state);
        }
      };
      lines.push(row(codes.map(cell)));
    }
  }
  return lines;
}

function timesView(procRoot: string, procs: readonly Proc[]): string[] {
  const bootSeconds = Number(/^btime (\d+)$/m.exec(readText(`${procRoot}/stat`) ?? '')?.[1] ?? 0);
  const lines = ['     pid name                   sid  start time   utime  stime cutime cstime'];
  for (const proc of procs) {
    const s = proc.stat;
    const cpu = [s.utime, s.stime, s.cutime, s.cstime].map((t) => formatCpuTime(t).padStart(6)).join(' ');
    lines.push(`${String(proc.pid).padStart(8)} ${nameOf(procRoot, proc).padEnd(20)} ${String(s.session).padStart(5)} ${formatStartTime(bootSeconds, s.starttime)} ${cpu}`);
  }
  return lines;
}

/**
 * Simulated hosts that share one Linux machine (ssh test targets) must not see each other's
 * guests: with a root set, a process whose argv[0] or argv[1] is an absolute path named `qvm`
 * outside that root is left out.
 */
function isOtherHostsQvm(procRoot: string, pid: number, root: string): boolean {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const argv = (readText(`${procRoot}/${pid}/cmdline`) ?? '').split('\0').slice(0, 2);
  return argv.some((a) => a.startsWith('/') && (a === '/qvm' || a.endsWith('/qvm')) && !a.startsWith(prefix));
}

/** `qvm-sim pidin <args>`: exit 0 with the view on stdout, 1 with one line on stderr for options it does not know. */
export function runPidin(args: readonly string[], io: QvmIo, procRoot = '/proc', qvmRoot = process.env.QVM_SIM_PIDIN_QVM_ROOT): number {
  const options = parseOptions(args);
  if (typeof options === 'string') {
    io.err(`pidin: ${options}; ${USAGE}`);
    return 1;
  }
  const root = qvmRoot === undefined || qvmRoot === '' ? undefined : qvmRoot;
  const procs = listPids(procRoot, options.pids)
    .filter((pid) => root === undefined || !isOtherHostsQvm(procRoot, pid, root))
    .flatMap((pid) => readProc(procRoot, pid) ?? []);
  const { view } = options;
  const lines = view.kind === 'times'
    ? timesView(procRoot, procs)
    : formatView(procRoot, procs, view.kind === 'format' ? view.codes : ['a', 'b', 'N', 'J']);
  // One write: a full process table is hundreds of lines.
  io.out(lines.join('\n'));
  return 0;
}
