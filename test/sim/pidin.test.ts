// The simulator's pidin stand-in: against this machine's /proc, read back with qvmctl's own pidin
// parser; against a /proc of its own (in a temp dir) for what this machine cannot show on demand;
// and its layout against real pidin output (test/fixtures/pidin/real).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCmdline } from '../../src/runtime/proc-table/linux.js';
import { mergePidinViews, parsePidinArgs, parsePidinTimes } from '../../src/runtime/proc-table/qnx.js';
import type { ProcessEntry } from '../../src/runtime/proc-table/types.js';
import { formatCpuTime, formatStartTime, runPidin } from '../../src/sim/pidin.js';
import { SIM_ARGV } from '../helpers/sim-guest.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const execFileAsync = promisify(execFile);
const REAL = join(import.meta.dirname, '../fixtures/pidin/real');
const realLines = (file: string): string[] => readFileSync(join(REAL, file), 'utf8').split('\n').filter((l) => l !== '');

async function pidin(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
  const [node = process.execPath, ...rest] = SIM_ARGV;
  const { stdout } = await execFileAsync(node, [...rest, 'pidin', ...args], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
  return stdout;
}

async function pidinFailure(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string } | undefined> {
  return pidin(args).then(() => undefined, (error: unknown) => error as { code: number; stdout: string; stderr: string });
}

/** What qvmctl's QNX process table sees: the three views, merged. */
async function snapshot(pid?: number): Promise<ProcessEntry[]> {
  const only = pid === undefined ? [] : ['-p', String(pid)];
  const [args, states, times] = await Promise.all([pidin([...only, '-F', '%a %A']), pidin([...only, '-F', '%a %J']), pidin([...only, 'times'])]);
  return mergePidinViews(args, states, times);
}

// pidin joins arguments with spaces; the parser splits on whitespace.
const ownArgv = parseCmdline(readFileSync('/proc/self/cmdline', 'utf8')).join(' ').trim().split(/\s+/);

/**
 * The columns of a `times` line: pid (8, right-aligned), name (18), sid (7, right-aligned or
 * blank), start (12), four CPU times (6 each), one space between them.
 */
function timesColumns(line: string): string[] {
  const widths = [8, 18, 7, 12, 6, 6, 6, 6];
  const cells: string[] = [];
  let at = 0;
  for (const [i, width] of widths.entries()) {
    cells.push(line.slice(at, at + width));
    at += width;
    if (i < widths.length - 1) {
      expect(line[at], `a space after column ${i} of ${JSON.stringify(line)}`).toBe(' ');
      at += 1;
    }
  }
  expect(line.length).toBe(at);
  const [pid = '', name = '', sid = '', start = '', ...cpu] = cells;
  expect(pid).toMatch(/^ *[0-9]+$/);
  expect(name.trim()).not.toBe('');
  expect(sid).toMatch(/^ *[0-9]*$/);
  expect(start).toMatch(/^[A-Z][a-z]{2} [0-9]{2} ([0-9]{2}:[0-9]{2}| [0-9]{4})$/);
  for (const time of cpu) expect(time).toMatch(/^( [0-9]|[0-9]{2})\.[0-9]{3}$|^( [0-9]|[0-9]{2})[mhd][0-9]{2}[smh]$|^[0-9]+d *$/);
  return cells;
}

describe('qvm-sim pidin on this machine', () => {
  it('lists this process with its argv and a start time that does not change, in pidin\'s format', async () => {
    const first = (await snapshot()).find((e) => e.pid === process.pid);
    expect(first).toMatchObject({ pid: process.pid, zombie: false, argv: ownArgv });
    expect(first?.start).toMatch(/^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}$/);
    const again = (await snapshot(process.pid)).find((e) => e.pid === process.pid);
    expect(again?.start).toBe(first?.start);
    // This process started at most a few minutes ago: its start is this minute's or an earlier one's.
    const started = Date.now() - process.uptime() * 1000;
    const minutes = [-1, 0, 1].map((m) => formatStartTime(Math.floor(started / 60_000) * 60_000 + m * 60_000).replace(/ +/g, ' '));
    expect(minutes).toContain(first?.start);
  });

  it('prints pidin\'s headers, one argument line per process and one state line per thread', async () => {
    const args = (await pidin(['-p', String(process.pid), '-F', '%a %A'])).trimEnd().split('\n');
    expect(args).toEqual([realLines('arguments-qnx-qualcomm-csdn.txt')[0], `${String(process.pid).padStart(8)} ${ownArgv.join(' ')}`]);
    const states = (await pidin(['-p', String(process.pid), '-F', '%a %J'])).split('\n').filter((l) => l !== '');
    expect(states[0]).toBe('     pid STATE      ');
    expect(states).toHaveLength(1 + readdirSync('/proc/self/task').length);
    for (const line of states.slice(1)) expect(line).toMatch(new RegExp(`^${String(process.pid).padStart(8)} [A-Z]+ *$`));
    const times = (await pidin(['-p', String(process.pid), 'times'])).trimEnd().split('\n');
    expect(times[0]).toBe(realLines('times-icas3-host.txt')[0]);
    expect(times).toHaveLength(2);
  });

  it('lays out times and the default view in pidin\'s columns, as real output has them', async () => {
    // The real sample passes the same column check.
    timesColumns(realLines('times-icas3-host.txt')[1] ?? '');
    const times = (await pidin(['times'])).split('\n').filter((l) => l !== '');
    for (const line of times.slice(1)) timesColumns(line);
    const mine = timesColumns(times.find((l) => l.startsWith(String(process.pid).padStart(8))) ?? '');
    // pidin leaves the sid blank for session 0.
    const session = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[3];
    expect(mine[2]?.trim()).toBe(session === '0' ? '' : session);
    // The default view: QNX 7.1's header, and the name and prio columns where QNX 7.1 has them.
    const real = realLines('default-qnx710-sa8295p.txt');
    const view = (await pidin(['-p', String(process.pid)])).split('\n').filter((l) => l !== '');
    expect(view[0]?.trimEnd()).toBe(real[0]);
    for (const line of [...real.slice(1), ...view.slice(1)]) {
      expect(line.slice(0, 13), line).toMatch(/^ *[0-9]+ +[0-9]+ $/);
      expect(line.slice(32, 37), line).toMatch(/^ *[0-9]+[frio] $/);
    }
  });

  it('does not list a process that ended, and fails like pidin for it with -p (exit 1 after the header)', async () => {
    const child = spawn('/usr/bin/mksh', ['-c', 'exit 0'], { stdio: 'ignore' });
    const pid = child.pid;
    await new Promise((resolve) => { child.on('close', resolve); });
    expect(pid).toBeDefined();
    expect((await snapshot()).find((e) => e.pid === pid)).toBeUndefined();
    const failure = await pidinFailure(['-p', String(pid), 'times']);
    expect(failure?.code).toBe(1);
    expect(failure?.stdout.trimEnd()).toBe(realLines('times-icas3-host.txt')[0]);
    expect(failure?.stderr.trimEnd()).toBe(`pidin: couldn't open /proc/${String(pid)}/as: No such file or directory`);
  });

  it('shows an unreaped process as pidin shows a zombie: one line, (Zombie), blank arguments and state', async () => {
    // A background subshell waits for a line, and exits only once mksh has become `sleep`, which
    // never reaps it (mksh itself would, before its exec).
    const parent = spawn('/usr/bin/mksh', ['-c', 'exec 3<&0; (read -r line <&3) & echo $!; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const closed = new Promise((resolve) => { parent.on('close', resolve); });
    try {
      const zombie = await new Promise<number>((resolve) => {
        parent.stdout.setEncoding('utf8').once('data', (line: string) => { resolve(Number(line.trim())); });
      });
      await waitFor(() => readFileSync(`/proc/${String(parent.pid)}/cmdline`, 'utf8').startsWith('sleep\0'), { message: 'mksh to exec sleep' });
      parent.stdin.write('go\n');
      const entry = await waitFor(async () => (await snapshot(zombie)).find((e) => e.pid === zombie && e.zombie), { message: `pid ${zombie} as a zombie` });
      expect(entry.argv).toEqual([]);
      const pad = String(zombie).padStart(8);
      expect((await pidin(['-p', String(zombie), '-F', '%a %J'])).split('\n').filter((l) => l !== '')).toEqual(['     pid STATE      ', `${pad}            `]);
      expect((await pidin(['-p', String(zombie), '-F', '%a %A'])).split('\n')[1]).toBe(`${pad}          `);
      expect((await pidin(['-p', String(zombie), 'times'])).split('\n')[1]).toMatch(new RegExp(`^${pad} \\(Zombie\\)           `));
    } finally {
      parent.kill('SIGTERM');
      await closed;
    }
  });

  it('fails for a thread ID like for a PID that does not exist: a thread is no process', async () => {
    const thread = readdirSync('/proc/self/task').map(Number).find((tid) => tid !== process.pid);
    expect(thread).toBeDefined();
    const failure = await pidinFailure(['-p', String(thread), '-F', '%a %A']);
    expect(failure?.code).toBe(1);
    expect(failure?.stdout.trimEnd()).toBe('     pid Arguments');
  });

  it('resolves shorthands by a unique prefix, as pidin does (pidin a, pidin arg)', async () => {
    const own = String(process.pid);
    for (const shorthand of ['a', 'arg', 'ARGUMENTS']) {
      expect((await pidin(['-p', own, shorthand])).split('\n')[1]).toBe(`${own.padStart(8)} ${ownArgv.join(' ')}`);
    }
    expect((await pidin(['-p', own, '-f', 'aA'])).split('\n')[1]).toBe(`${own.padStart(8)} ${ownArgv.join(' ')} `);
  });

  it('refuses an unknown option, format code or view with exit 1 and one line', async () => {
    // `t` is ambiguous (times, timers, ttimes, threads); `env` is pidin's environment view, not shown here.
    for (const args of [['-x'], ['-F', '%a %Q'], ['env'], ['t'], ['-p'], ['-p', 'qvm']]) {
      const failure = await pidinFailure(args);
      expect(failure?.code, args.join(' ')).toBe(1);
      expect(failure?.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(failure?.stderr).toMatch(/^pidin: /);
    }
  });
});

/** A /proc of its own: processes with the fields pidin's views show, set by the test. */
interface FakeProc {
  readonly pid: number;
  readonly comm: string;
  readonly exe?: string;
  readonly cmdline: readonly string[];
  /** One state letter per thread, the first the leader's. */
  readonly threads: readonly string[];
  readonly session?: number;
  readonly startTicks: number;
  readonly cpuTicks?: readonly [number, number, number, number];
}

function statLine(p: FakeProc, state: string, tid: number): string {
  const fields = Array.from({ length: 52 }, () => '0');
  const set = (field: number, value: string | number): void => { fields[field - 1] = String(value); };
  set(1, tid);
  set(2, `(${p.comm})`);
  set(3, state);
  set(6, p.session ?? p.pid);
  const [u, s, cu, cs] = p.cpuTicks ?? [0, 0, 0, 0];
  set(14, u); set(15, s); set(16, cu); set(17, cs);
  set(22, p.startTicks);
  return fields.join(' ');
}

function writeFakeProc(root: string, bootSeconds: number, procs: readonly FakeProc[]): void {
  writeFileSync(join(root, 'stat'), `cpu 0 0 0 0\nbtime ${bootSeconds}\n`);
  for (const p of procs) {
    const dir = join(root, String(p.pid));
    mkdirSync(join(dir, 'task'), { recursive: true });
    writeFileSync(join(dir, 'stat'), statLine(p, p.threads[0] ?? 'S', p.pid));
    writeFileSync(join(dir, 'status'), `Name:\t${p.comm}\nTgid:\t${p.pid}\n`);
    writeFileSync(join(dir, 'cmdline'), p.cmdline.map((a) => `${a}\0`).join(''));
    if (p.exe !== undefined) symlinkSync(p.exe, join(dir, 'exe'));
    p.threads.forEach((state, i) => {
      const tid = i === 0 ? p.pid : p.pid + i;
      mkdirSync(join(dir, 'task', String(tid)));
      writeFileSync(join(dir, 'task', String(tid), 'stat'), statLine(p, state, tid));
    });
  }
}

describe('qvm-sim pidin on a /proc of its own', () => {
  let root: string;
  beforeEach(async () => { root = await makeTempDir('fake-proc'); });
  afterEach(async () => { await removeDir(root); });

  const run = (args: readonly string[], qvmRoot = ''): { code: number; out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runPidin(args, { out: (l) => { out.push(...l.split('\n')); }, err: (l) => { err.push(l); } }, root, qvmRoot);
    return { code, out, err };
  };

  // On this /proc rather than the machine's: a real process named qvm would be one more qvm to every
  // ssh target's look (test/remote runs beside this folder).
  it('leaves out qvm processes outside QVM_SIM_PIDIN_QVM_ROOT: other simulated hosts', () => {
    const other = '/tmp/target-b/lib/qvm';
    writeFakeProc(root, 1000, [
      { pid: 7, comm: 'sh', exe: '/bin/sh', cmdline: ['sh'], threads: ['S'], startTicks: 0 },
      // A wrapper script's qvm is qvm by its argv[1], as the ssh target's are.
      { pid: 8, comm: 'mksh', exe: '/usr/bin/mksh', cmdline: ['/usr/bin/mksh', other, '@/tmp/target-b/a.qvmconf'], threads: ['S'], startTicks: 0 },
      { pid: 9, comm: 'qvm', exe: '/tmp/target-a/lib/qvm', cmdline: ['/tmp/target-a/lib/qvm', '@/tmp/target-a/a.qvmconf'], threads: ['S'], startTicks: 0 },
    ]);
    const listed = (qvmRoot?: string): string[] => run(['-F', '%a %A'], qvmRoot).out.slice(1);
    const all = ['       7 sh', `       8 /usr/bin/mksh ${other} @/tmp/target-b/a.qvmconf`, '       9 /tmp/target-a/lib/qvm @/tmp/target-a/a.qvmconf'];
    expect(listed()).toEqual(all);
    expect(listed('/tmp/target-b')).toEqual(all.slice(0, 2));
    expect(listed('/tmp/target-a/')).toEqual([all[0], all[2]]);
    // A single process asked for by -p is left out the same way.
    expect(run(['-p', '8', '-F', '%a %A'], '/tmp/target-a')).toMatchObject({ code: 1, out: ['     pid Arguments'] });
  });

  it('prints a zombie, a kernel thread, a long name, a blank sid, an argument with a newline and a year-old start as pidin does', () => {
    const now = Math.floor(Date.now() / 1000);
    const boot = now - 400 * 86_400;
    const recent = (now - boot - 3600) * 100;
    writeFakeProc(root, boot, [
      { pid: 1, comm: 'procnto', exe: '/proc/boot/procnto-smp-instr', cmdline: ['procnto-smp-instr', '-v'], threads: ['R', 'S', 'S'], session: 0, startTicks: 0, cpuTicks: [186_600, 96, 4, 0] },
      { pid: 2, comm: 'kthreadd', cmdline: [], threads: ['S'], session: 0, startTicks: 0 },
      { pid: 4099, comm: 'sh', exe: '/bin/sh', cmdline: ['sh', '-c', 'echo one\necho two'], threads: ['S'], session: 4099, startTicks: recent, cpuTicks: [7512, 360_000, 0, 0] },
      { pid: 20487, comm: 'qvm', exe: '/usr/sbin/qvm', cmdline: ['/usr/sbin/qvm', '@/var/qvmctl/guests/a/3f2a9c41.qvmconf'], threads: ['Z'], session: 4099, startTicks: recent },
    ]);
    const args = run(['-F', '%a %A']);
    expect(args.code).toBe(0);
    expect(args.out).toEqual(['     pid Arguments', '       1 procnto-smp-instr -v', '       2 kthreadd', '    4099 sh -c echo one', 'echo two', '   20487          ']);
    expect(parsePidinArgs(args.out.join('\n')).get(4099)).toEqual(['sh', '-c', 'echo', 'one', 'echo', 'two']);
    expect(run(['-F', '%a %J']).out).toEqual(['     pid STATE      ', '       1 RUNNING    ', '       1 RECEIVE    ', '       1 RECEIVE    ', '       2 RECEIVE    ', '    4099 RECEIVE    ', '   20487            ']);
    const times = run(['times']).out;
    const old = formatStartTime(boot * 1000, now * 1000);
    expect(old).toMatch(/^[A-Z][a-z]{2} \d{2} {2}\d{4}$/);
    const startRecent = formatStartTime((boot + recent / 100) * 1000);
    expect(times).toEqual([
      '     pid name                   sid  start time   utime  stime cutime cstime',
      `       1 /procnto-smp-instr         ${old} 31m06s  0.960  0.040  0.000`,
      `       2 kthreadd                   ${old}  0.000  0.000  0.000  0.000`,
      `    4099 bin/sh                4099 ${startRecent} 75.120  1h00m  0.000  0.000`,
      `   20487 (Zombie)              4099 ${startRecent}  0.000  0.000  0.000  0.000`,
    ]);
    for (const line of times.slice(1)) timesColumns(line);
    expect(parsePidinTimes(times.join('\n')).get(1)).toBe(old.replace('  ', ' '));
    const entries = mergePidinViews(args.out.join('\n'), run(['-F', '%a %J']).out.join('\n'), times.join('\n'));
    expect(entries.map((e) => [e.pid, e.zombie])).toEqual([[1, false], [2, false], [4099, false], [20487, true]]);
  });

  it('keeps the last -p, as pidin does, and fails after the header for a process that does not exist', () => {
    writeFakeProc(root, 1000, [{ pid: 7, comm: 'a', exe: '/bin/a', cmdline: ['a'], threads: ['S'], startTicks: 0 }]);
    expect(run(['-p', '99', '-p', '7', '-F', '%a %A']).out).toEqual(['     pid Arguments', '       7 a']);
    expect(run(['-p', '7', '-p', '99', '-F', '%a %A'])).toEqual({ code: 1, out: ['     pid Arguments'], err: ['pidin: couldn\'t open /proc/99/as: No such file or directory'] });
  });

  it('takes widths in a format, a negative one left-aligning, and literal text between codes', () => {
    writeFakeProc(root, 1000, [{ pid: 7, comm: 'a', exe: '/usr/local/bin/a-very-long-program-name', cmdline: ['a'], threads: ['S'], startTicks: 0 }]);
    // A title keeps its own alignment.
    expect(run(['-F', '%a|%6N|%-8a|%40N']).out).toEqual([`     pid|name  |     pid|${'name'.padEnd(40)}`, '       7|m-name|7       |usr/local/bin/a-very-long-program-name  ']);
  });
});

describe('pidin\'s time formats', () => {
  it('prints CPU times as pidin does: milliseconds below 100 s, then minutes, hours, days', () => {
    const ns = (s: number): number => s * 1e9;
    expect([0.959, 0.04, 75.12, 99.999, 100, 1866, 7500, 3 * 86_400 + 4 * 3600, 123 * 86_400].map((s) => formatCpuTime(ns(s))))
      .toEqual([' 0.959', ' 0.040', '75.120', '99.999', ' 1m40s', '31m06s', ' 2h05m', ' 3d04h', '123d']);
  });

  it('prints a start time with its time of day for 182 days, then with its year', () => {
    const start = new Date(2024, 2, 14, 9, 26, 59).getTime();
    const day = 86_400_000;
    expect(formatStartTime(start, start + 60_000)).toBe('Mar 14 09:26');
    expect(formatStartTime(start, start + 182 * day)).toBe('Mar 14 09:26');
    expect(formatStartTime(start, start + 182 * day + 1000)).toBe('Mar 14  2024');
  });
});
