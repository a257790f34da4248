// `qvm-sim pidin …`: a stand-in for QNX's `pidin`, built from Linux /proc, so that a Linux machine
// can play a QNX host for tests (docs/simulator.md). It prints pidin's views in pidin's own layout:
// `-F`/`-f` formats of the codes below (field widths, titles and alignment as pidin has them), the
// shorthands `arguments` and `times`, and the default view, each optionally for one process (`-p`).
// What pidin does and where that is known from: docs/runtime.md, "Process tables".
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { QvmIo } from './run-qvm.js';

const USAGE = 'usage: pidin [-p pid] [-F format | -f codes] [shorthand ...]';

/** Linux's USER_HZ: the unit of the times in /proc/<pid>/stat, 100 on every Linux that runs Node. */
const TICKS_PER_SECOND = 100;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** pidin prints a start time older than this (182 days) with its year instead of its time of day. */
const RECENT_SECONDS = 182 * 24 * 60 * 60;

/** pidin's default view. */
const DEFAULT_FORMAT = '%a %b %N %p %J %B';

/**
 * pidin's shorthands, every one, so that a prefix is resolved as pidin resolves it (a unique
 * prefix, any case); the stand-in shows those with a format.
 */
const SHORTHANDS: readonly { readonly name: string; readonly format?: string }[] = [
  { name: 'users' }, { name: 'ttimes' }, { name: 'times', format: '%a %N %L %t %u %v %w %x' }, { name: 'timers' },
  { name: 'threads' }, { name: 'syspage' }, { name: 'signals' }, { name: 'session' }, { name: 'sched' },
  { name: 'rmasks' }, { name: 'regs' }, { name: 'rc' }, { name: 'pmem' }, { name: 'net' }, { name: 'memory' },
  { name: 'mapinfo' }, { name: 'irqs' }, { name: 'channels' }, { name: 'info' }, { name: 'flags' }, { name: 'fds' },
  { name: 'family' }, { name: 'extsched' }, { name: 'environment' }, { name: 'backtrace' },
  { name: 'arguments', format: '%a %A' },
];

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
  readonly rtPriority: number;
  /** 0 other, 1 FIFO, 2 round robin, 3 batch, 5 idle. */
  readonly policy: number;
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
  const number = (field: number): number => Number(rest[field - 3]);
  const stat = {
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    session: number(6),
    utime: number(14),
    stime: number(15),
    cutime: number(16),
    cstime: number(17),
    starttime: number(22),
    rtPriority: number(40),
    policy: number(41),
  };
  return Number.isInteger(stat.starttime) && Number.isInteger(stat.session) ? stat : undefined;
}

/** QNX thread states for Linux ones (pidin's names; a thread that ended in a live process is DEAD). */
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

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * A start time as pidin prints it, in local time: `Mar 14 09:26` (minutes), or `Mar 14  2024` (two
 * spaces, the year) once it is more than 182 days before now.
 */
export function formatStartTime(startMs: number, nowMs: number = Date.now()): string {
  const date = new Date(startMs);
  const day = `${MONTHS[date.getMonth()] ?? '???'} ${two(date.getDate())}`;
  if (Math.floor(nowMs / 1000) - Math.floor(startMs / 1000) > RECENT_SECONDS) return `${day}  ${date.getFullYear()}`;
  return `${day} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** CPU time as pidin prints it (from nanoseconds): ` 0.959`, `75.120`, ` 4m12s`, ` 2h05m`, ` 3d04h`, `123d`. */
export function formatCpuTime(nanoseconds: number): string {
  const sec = Math.floor(nanoseconds / 1e9);
  const pad = (n: number): string => String(n).padStart(2);
  if (sec >= 100 * 86_400) return `${Math.floor(sec / 86_400)}d`;
  if (sec >= 86_400) return `${pad(Math.floor(sec / 86_400))}d${two(Math.floor((sec % 86_400) / 3600))}h`;
  if (sec >= 3600) return `${pad(Math.floor(sec / 3600))}h${two(Math.floor((sec % 3600) / 60))}m`;
  if (sec >= 100) return `${pad(Math.floor(sec / 60))}m${two(sec % 60)}s`;
  return `${pad(sec)}.${String(Math.floor((nanoseconds - sec * 1e9) / 1e6)).padStart(3, '0')}`;
}

interface Proc {
  readonly pid: number;
  readonly stat: Stat;
  /** Ended, not reaped: every thread is Z or X. pidin then prints one line and no thread data. */
  readonly zombie: boolean;
  /** Read only for a view with a line per thread. */
  readonly threads: () => readonly Stat[];
}

interface Row {
  readonly procRoot: string;
  readonly proc: Proc;
  /** 1-based, as QNX numbers a process's threads. */
  readonly tid: number;
  readonly thread: Stat;
  readonly bootMs: number;
  readonly nowMs: number;
}

// pidin's field kinds: how a value is fitted to its width.
//   int: right-aligned, never cut; string: left-aligned, cut to the width (from the left with
//   keepRight); raw: printed whole, no width.
type Cell = { readonly int: number } | { readonly string: string } | { readonly raw: string };

interface Code {
  readonly title: string;
  readonly width: number;
  readonly titleAlign: 'left' | 'right' | 'center';
  /** The value, or undefined for a blank field of the width. */
  readonly cell: (row: Row) => Cell | undefined;
  /** One line per thread when a format has such a code. */
  readonly perThread?: boolean;
  /** Not shown for a zombie: blank, or `(Zombie)` where pidin says so. */
  readonly zombie?: 'blank' | 'say';
  /** A long value keeps its end (pidin's names). */
  readonly keepRight?: boolean;
}

const cpu = (ticks: number): Cell => ({ string: formatCpuTime(ticks * (1e9 / TICKS_PER_SECOND)) });

/** The codes this stand-in shows, with pidin's widths, titles and alignment. */
const CODES: Readonly<Record<string, Code>> = {
  a: { title: 'pid', width: 8, titleAlign: 'right', cell: (r) => ({ int: r.proc.pid }) },
  b: { title: 'tid', width: 3, titleAlign: 'left', cell: (r) => ({ int: r.tid }), perThread: true, zombie: 'blank' },
  N: { title: 'name', width: 18, titleAlign: 'left', cell: (r) => ({ string: nameOf(r.procRoot, r.proc) }), zombie: 'say', keepRight: true },
  A: { title: 'Arguments', width: 9, titleAlign: 'left', cell: (r) => ({ raw: argumentsOf(r.procRoot, r.proc) }), zombie: 'blank' },
  J: { title: 'STATE', width: 11, titleAlign: 'left', cell: (r) => ({ string: qnxState(r.thread.state) }), perThread: true, zombie: 'blank' },
  p: { title: 'prio', width: 4, titleAlign: 'center', cell: (r) => ({ string: priorityOf(r.thread) }), perThread: true, zombie: 'blank' },
  // What a thread is blocked on is not in /proc: always blank here.
  B: { title: 'Blocked', width: 28, titleAlign: 'left', cell: () => undefined, perThread: true, zombie: 'blank' },
  L: { title: 'sid', width: 7, titleAlign: 'right', cell: (r) => (r.proc.stat.session === 0 ? undefined : { int: r.proc.stat.session }) },
  t: { title: 'start time', width: 12, titleAlign: 'center', cell: (r) => ({ string: formatStartTime(r.bootMs + r.proc.stat.starttime * (1000 / TICKS_PER_SECOND), r.nowMs) }) },
  u: { title: 'utime', width: 6, titleAlign: 'right', cell: (r) => cpu(r.proc.stat.utime) },
  v: { title: 'stime', width: 6, titleAlign: 'right', cell: (r) => cpu(r.proc.stat.stime) },
  w: { title: 'cutime', width: 6, titleAlign: 'right', cell: (r) => cpu(r.proc.stat.cutime) },
  x: { title: 'cstime', width: 6, titleAlign: 'right', cell: (r) => cpu(r.proc.stat.cstime) },
};

/** QNX's `10r` (priority, policy letter): real-time threads keep theirs, others show QNX's default 10, round robin. */
function priorityOf(thread: Stat): string {
  const prio = (n: number, letter: string): string => `${String(n).padStart(3)}${letter}`;
  if (thread.policy === 1) return prio(thread.rtPriority, 'f');
  if (thread.policy === 2) return prio(thread.rtPriority, 'r');
  return prio(10, 'r');
}

/** A format: literal text and codes, `%[width]letter` (a negative width left-aligns the value). */
type Segment = { readonly text: string } | { readonly letter: string; readonly code: Code; readonly width: number; readonly left: boolean };

function parseFormat(format: string): Segment[] | string {
  const segments: Segment[] = [];
  const pattern = /%(-?[0-9]*)(.)?|[^%]+/gs;
  for (const match of format.matchAll(pattern)) {
    if (!match[0].startsWith('%')) {
      segments.push({ text: match[0] });
      continue;
    }
    const letter = match[2];
    // pidin ignores a trailing '%'.
    if (letter === undefined) break;
    const code = CODES[letter];
    if (code === undefined) return `format code %${letter} is not shown by this stand-in (it shows ${Object.keys(CODES).map((c) => `%${c}`).join(' ')})`;
    const width = Number(match[1] === '' || match[1] === '-' ? 0 : match[1]);
    segments.push({ letter, code, width: width === 0 ? code.width : Math.abs(width), left: width < 0 });
  }
  return segments;
}

function fit(cell: Cell | undefined, width: number, segment: { readonly code: Code; readonly left: boolean }): string {
  if (cell === undefined) return ' '.repeat(width);
  if ('raw' in cell) return cell.raw;
  if ('int' in cell) {
    const text = String(cell.int);
    return segment.left ? text.padEnd(width) : text.padStart(width);
  }
  const text = segment.code.keepRight && cell.string.length > width ? cell.string.slice(-width) : cell.string.slice(0, width);
  return text.padEnd(width);
}

function titleLine(segments: readonly Segment[]): string {
  return segments.map((s) => {
    if ('text' in s) return s.text;
    const title = s.code.title.slice(0, s.width);
    const room = s.width - title.length;
    if (s.code.titleAlign === 'left') return title.padEnd(s.width);
    if (s.code.titleAlign === 'right') return title.padStart(s.width);
    const before = Math.floor(room / 2);
    return `${' '.repeat(before)}${title}${' '.repeat(room - before)}`;
  }).join('');
}

function rowLine(segments: readonly Segment[], row: Row): string {
  return segments.map((s) => {
    if ('text' in s) return s.text;
    if (row.proc.zombie && s.code.zombie !== undefined) return fit(s.code.zombie === 'say' ? { string: '(Zombie)' } : undefined, s.width, s);
    return fit(s.code.cell(row), s.width, s);
  }).join('');
}

interface Options {
  /** `-p`: one process (the last `-p` given, as pidin keeps). */
  readonly pid: number | undefined;
  readonly formats: readonly string[];
}

function lookupShorthand(word: string): { readonly name: string; readonly format?: string } | undefined {
  const prefix = /^[a-zA-Z0-9]*/.exec(word)?.[0].toLowerCase() ?? '';
  const matches = SHORTHANDS.filter((s) => s.name.startsWith(prefix));
  return matches.length === 1 ? matches[0] : undefined;
}

function parseOptions(args: readonly string[]): Options | string {
  let pid: number | undefined;
  let format = DEFAULT_FORMAT;
  let i = 0;
  for (; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--') { i += 1; break; }
    if (!arg.startsWith('-') || arg === '-') break;
    const letter = arg[1] ?? '';
    if (!['p', 'F', 'f'].includes(letter)) return `option -${letter} is not known to this stand-in`;
    const value = arg.length > 2 ? arg.slice(2) : args[(i += 1)];
    if (value === undefined) return `option -${letter} needs a value`;
    if (letter === 'p') {
      if (!/^[0-9]+$/.test(value)) return `-p takes a process ID here, not '${value}'`;
      pid = Number(value);
    } else {
      // -f mbe is -F "%m %b %e " (pidin's expansion, trailing space included).
      format = letter === 'F' ? value : value.replace(/./gs, (c) => `%${c} `);
    }
  }
  const formats: string[] = [];
  for (const word of args.slice(i)) {
    const shorthand = lookupShorthand(word);
    if (shorthand === undefined) return `${word} invalid shorthand`;
    if (shorthand.format === undefined) return `the ${shorthand.name} view is not shown by this stand-in`;
    formats.push(shorthand.format);
  }
  return { pid, formats: formats.length === 0 ? [format] : formats };
}

function isThreadGroupLeader(procRoot: string, pid: number): boolean {
  return new RegExp(`^Tgid:\\s*${pid}$`, 'm').test(readText(`${procRoot}/${pid}/status`) ?? '');
}

function listPids(procRoot: string): number[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9]+$/.test(n)).map(Number).sort((a, b) => a - b);
}

function threadsOf(procRoot: string, pid: number): Stat[] {
  let names: string[];
  try {
    names = readdirSync(`${procRoot}/${pid}/task`);
  } catch {
    return [];
  }
  return names.map(Number).filter((tid) => Number.isInteger(tid)).sort((a, b) => a - b).flatMap((tid) => {
    const text = readText(`${procRoot}/${pid}/task/${tid}/stat`);
    const stat = text === undefined ? undefined : parseStat(text);
    return stat === undefined ? [] : [stat];
  });
}

function readProc(procRoot: string, pid: number): Proc | undefined {
  const text = readText(`${procRoot}/${pid}/stat`);
  const stat = text === undefined ? undefined : parseStat(text);
  if (stat === undefined) return undefined;
  const ended = (s: Stat): boolean => s.state === 'Z' || s.state === 'X' || s.state === 'x';
  const threads = (): Stat[] => {
    const all = threadsOf(procRoot, pid);
    return all.length === 0 ? [stat] : all;
  };
  return { pid, stat, zombie: ended(stat) && threads().every(ended), threads };
}

/** The executable as pidin names it: its path without the leading '/', or the command name. */
function nameOf(procRoot: string, proc: Proc): string {
  try {
    return readlinkSync(`${procRoot}/${proc.pid}/exe`).replace(/^\//, '');
  } catch {
    // Kernel threads and other users' processes: the command name is all there is.
    return proc.stat.comm === '' ? '?' : proc.stat.comm;
  }
}

/**
 * The arguments joined with spaces, as pidin prints them: whole, newlines and all. A process
 * without arguments (a kernel thread here; procnto on QNX) shows its name.
 */
function argumentsOf(procRoot: string, proc: Proc): string {
  const text = readText(`${procRoot}/${proc.pid}/cmdline`) ?? '';
  const trimmed = text.endsWith('\0') ? text.slice(0, -1) : text;
  return trimmed === '' ? nameOf(procRoot, proc) : trimmed.split('\0').join(' ');
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

function view(procRoot: string, procs: readonly Proc[], segments: readonly Segment[]): string[] {
  const bootMs = Number(/^btime (\d+)$/m.exec(readText(`${procRoot}/stat`) ?? '')?.[1] ?? 0) * 1000;
  const nowMs = Date.now();
  const perThread = segments.some((s) => 'code' in s && s.code.perThread === true);
  const lines = [titleLine(segments)];
  for (const proc of procs) {
    // A zombie has no threads to show: one line.
    const threads = perThread && !proc.zombie ? proc.threads() : [proc.stat];
    threads.forEach((thread, index) => {
      lines.push(rowLine(segments, { procRoot, proc, tid: index + 1, thread, bootMs, nowMs }));
    });
  }
  return lines;
}

/**
 * `qvm-sim pidin <args>`: exit 0 with the views on stdout; 1 with one line on stderr for what it
 * does not know, or, like pidin, after the header for a `-p` process that does not exist.
 */
export function runPidin(args: readonly string[], io: QvmIo, procRoot = '/proc', qvmRoot = process.env.QVM_SIM_PIDIN_QVM_ROOT): number {
  const options = parseOptions(args);
  if (typeof options === 'string') {
    io.err(`pidin: ${options}; ${USAGE}`);
    return 1;
  }
  const views: Segment[][] = [];
  for (const format of options.formats) {
    const segments = parseFormat(format);
    if (typeof segments === 'string') {
      io.err(`pidin: ${segments}`);
      return 1;
    }
    views.push(segments);
  }
  const root = qvmRoot === undefined || qvmRoot === '' ? undefined : qvmRoot;
  const visible = (pid: number): boolean => root === undefined || !isOtherHostsQvm(procRoot, pid, root);
  const lines: string[] = [];
  for (const segments of views) {
    if (options.pid !== undefined) {
      // /proc/<tid> exists for every thread too: only thread group leaders are processes.
      const proc = isThreadGroupLeader(procRoot, options.pid) && visible(options.pid) ? readProc(procRoot, options.pid) : undefined;
      if (proc === undefined) {
        io.out([...lines, titleLine(segments)].join('\n'));
        io.err(`pidin: couldn't open /proc/${options.pid}/as: No such file or directory`);
        return 1;
      }
      lines.push(...view(procRoot, [proc], segments));
    } else {
      lines.push(...view(procRoot, listPids(procRoot).filter(visible).flatMap((pid) => readProc(procRoot, pid) ?? []), segments));
    }
  }
  // One write: a full process table is hundreds of lines.
  io.out(lines.join('\n'));
  return 0;
}
