// The reconcile daemon (`qvmctl run` as a real process, on the simulator):
// - manifest save → first action (journal `boot`, and the daemon's own "start begins" log line),
//   against the debounce;
// - guest exit → restart (journal `exit` → next `boot`), side by side with a plain shell `while`
//   loop around the same simulator with the same node flags;
// - idle CPU and RSS of the daemon with N guests running (BENCH_DAEMON_GUESTS, default 100).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { SIMULATOR_NODE_FLAGS } from '../src/runtime/qvm-command.js';
import { createDaemonHarness, guestYaml, SIM, waitFor, type DaemonHarness } from '../test/helpers/daemon-harness.js';
import type { JournalLine } from '../test/helpers/runtime-harness.js';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

export interface DaemonBenchResult {
  readonly debounceMs: number;
  readonly saveToStartLogMs: readonly number[];
  readonly saveToBootMs: readonly number[];
  readonly daemonExitToBootMs: readonly number[];
  readonly shellExitToBootMs: readonly number[];
  readonly guests: number;
  readonly idleCpuPercent: number;
  readonly idleWindowMs: number;
  readonly interval: string;
  readonly rssMb: number;
  /** Syscalls of the daemon per idle pass (strace -c across passes), or why there is no figure. */
  readonly idleSyscalls: { readonly perPass: number; readonly passes: number; readonly top: string } | { readonly skipped: string };
}

const DEBOUNCE_MS = 300;
const ROUNDS = 5;
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const runningPid = async (h: DaemonHarness, name: string, not?: number): Promise<number> =>
  waitFor(async () => { const g = await h.guest(name); return g?.phase === 'running' && g.pid !== not ? g.pid : undefined; }, { timeoutMs: 60_000 });

async function benchSaveToAction(): Promise<{ log: number[]; boot: number[] }> {
  const h = await createDaemonHarness({ debounce: `${DEBOUNCE_MS}ms` }, { git: false });
  try {
    await h.write('seed.yaml', guestYaml('seed'));
    await h.startDaemon(['--log-level', 'debug']);
    await runningPid(h, 'seed');
    const log: number[] = [];
    const boot: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const name = `new${i}`;
      const t0 = Date.now();
      await h.write(`${name}.yaml`, guestYaml(name));
      const booted = await waitFor(async () => (await h.journal()).find((l) => l.system === name && l.event === 'boot'), { timeoutMs: 30_000 });
      const begins = (await h.log()).find((l) => l['guest'] === name && l['msg'] === 'start begins');
      boot.push(booted.time - t0);
      if (typeof begins?.['time'] === 'string') log.push(Date.parse(begins['time']) - t0);
      await runningPid(h, name);
    }
    return { log, boot };
  } finally {
    await h.cleanup();
  }
}

// exit → next boot, from the journal, for `rounds` reboots of one system.
function exitToBoot(lines: readonly JournalLine[], system: string): number[] {
  const own = lines.filter((l) => l.system === system);
  const gaps: number[] = [];
  own.forEach((l, i) => {
    if (l.event !== 'exit') return;
    const next = own.slice(i + 1).find((n) => n.event === 'boot');
    if (next !== undefined) gaps.push(next.time - l.time);
  });
  return gaps;
}

async function rebootRounds(simDir: string, system: string, isRunning: (count: number) => Promise<boolean>): Promise<void> {
  for (let i = 0; i < ROUNDS; i++) {
    await waitFor(() => isRunning(i + 1), { timeoutMs: 60_000 });
    await execa('node', [SIM, 'guest', system, 'reboot'], { env: { QVM_SIM_DIR: simDir } });
  }
  await waitFor(() => isRunning(ROUNDS + 1), { timeoutMs: 60_000 });
}

async function readJournal(simDir: string): Promise<JournalLine[]> {
  const text = await readFile(join(simDir, 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as JournalLine);
}

async function benchDaemonRestart(): Promise<number[]> {
  const h = await createDaemonHarness({ interval: '10m' }, { git: false });
  try {
    await h.write('loop.yaml', guestYaml('loop', { knobs: 'boot-ms=50 shutdown-ms=20', spec: '  restart:\n    startLimit: { interval: 0s }\n' }));
    await h.startDaemon();
    const simDir = join(h.stateDir, 'sim');
    const runningCount = async (n: number): Promise<boolean> => (await h.journal()).filter((l) => l.system === 'loop' && l.event === 'running').length >= n;
    await rebootRounds(simDir, 'loop', runningCount);
    return exitToBoot(await h.journal(), 'loop');
  } finally {
    await h.cleanup();
  }
}

async function benchShellLoop(): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-loop-'));
  const conf = join(dir, 'loop.qvmconf');
  const simDir = join(dir, 'sim');
  await writeFile(conf, '# qvm-sim: boot-ms=50 shutdown-ms=20\nsystem loop\nram 0x80000000,64M\ncpu\n');
  const node = [process.execPath, ...SIMULATOR_NODE_FLAGS, SIM].map((a) => `'${a}'`).join(' ');
  // argv, not a shell option: this IS the shell loop the daemon is compared with.
  const loop = execa('sh', ['-c', `while [ ! -e '${dir}/stop' ]; do ${node} '@${conf}'; done`], {
    env: { QVM_SIM_DIR: simDir }, stdio: 'ignore', reject: false, forceKillAfterDelay: false,
  });
  try {
    const runningCount = async (n: number): Promise<boolean> => (await readJournal(simDir)).filter((l) => l.event === 'running').length >= n;
    await rebootRounds(simDir, 'loop', runningCount);
    return exitToBoot(await readJournal(simDir), 'loop');
  } finally {
    await writeFile(join(dir, 'stop'), '');
    await execa('node', [SIM, 'guest', 'loop', 'shutdown'], { env: { QVM_SIM_DIR: simDir }, reject: false });
    await loop;
    await rm(dir, { recursive: true, force: true });
  }
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
}

const passesDone = async (h: DaemonHarness): Promise<number> => (await h.log()).filter((l) => l['msg'] === 'pass done').length;

// The syscalls of whole idle passes: strace attached to the daemon (all threads) until `passes`
// more passes have ended, divided by them; the wake-ups between passes count too.
async function straceIdlePasses(h: DaemonHarness, pid: number, passes: number, timeoutMs: number): Promise<DaemonBenchResult['idleSyscalls']> {
  const strace = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));
  if (strace === undefined) return { skipped: 'strace not installed' };
  const out = join(h.root, 'strace.txt');
  // Attached just after a pass ended, detached when `passes` more have: whole passes and the idle
  // wake-ups between them.
  const before = await passesDone(h);
  const start = await waitFor(async () => { const n = await passesDone(h); return n > before ? n : undefined; }, { timeoutMs, intervalMs: 100 });
  const child = execa(strace, ['-f', '-c', '-o', out, '-p', String(pid)], { reject: false, stdio: 'ignore', forceKillAfterDelay: false });
  let counted: number;
  try {
    counted = await waitFor(async () => { const n = await passesDone(h); return n >= start + passes ? n - start : undefined; }, { timeoutMs: timeoutMs * passes, intervalMs: 200 });
  } finally {
    child.kill('SIGINT');
  }
  const done = await child;
  if (done.exitCode !== 0 && !existsSync(out)) return { skipped: `strace could not attach (exit ${String(done.exitCode)}; ptrace not permitted?)` };
  const text = await readFile(out, 'utf8');
  const rows = text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5 && /^\d/.test(f[0] ?? '') && f[f.length - 1] !== 'total');
  const total = text.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[f.length - 1] === 'total');
  if (total === undefined) return { skipped: `strace printed no summary: ${text.slice(0, 200)}` };
  const calls = (f: readonly string[]): number => Number(f[3]);
  const top = rows.sort((a, b) => calls(b) - calls(a)).slice(0, 5).map((f) => `${f[f.length - 1] ?? '?'} ${Math.round(calls(f) / counted)}`).join(', ');
  return { perPass: Math.round(Number(total[3]) / counted), passes: counted, top };
}

async function benchIdle(guests: number, windowMs: number, interval: string): Promise<{ cpu: number; rss: number; syscalls: DaemonBenchResult['idleSyscalls'] }> {
  const h = await createDaemonHarness({ interval }, { git: false });
  try {
    await h.write('host.yaml', (await readFile(join(h.manifestDir, 'host.yaml'), 'utf8')).replace('commands:', 'concurrency: 16\n  commands:'));
    for (let i = 0; i < guests; i++) await h.write(`g${i}.yaml`, guestYaml(`g${i}`, { knobs: 'boot-ms=50 shutdown-ms=50' }));
    await h.startDaemon(['--log-level', 'info']);
    await waitFor(async () => (await h.status()).guests.filter((g) => g.phase === 'running').length === guests, { timeoutMs: 300_000 });
    // Idle from here: the pass that started the guests has ended (its readiness waits and start
    // graces run past the last guest's `running`), and no other pass runs.
    await waitFor(async () => { const s = await h.status(); return s.lastPass !== undefined && s.lastPass.id === s.passes; }, { timeoutMs: 300_000 });
    const pid = h.daemon?.pid;
    if (pid === undefined) throw new Error('no daemon pid');
    const ticksPerSecond = Number((await execa('getconf', ['CLK_TCK'])).stdout);
    const before = await cpuTicks(pid);
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const used = (await cpuTicks(pid)) - before;
    const elapsed = Date.now() - t0;
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
    // After the CPU window: strace slows what it traces.
    const syscalls = await straceIdlePasses(h, pid, 2, durationMs(interval) * 2 + 10_000);
    return { cpu: (used / ticksPerSecond) / (elapsed / 1000) * 100, rss: rssKb / 1024, syscalls };
  } finally {
    await h.cleanup();
  }
}

function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (m === null) return 30_000;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

export async function benchDaemon(): Promise<DaemonBenchResult> {
  const guests = Number(process.env['BENCH_DAEMON_GUESTS'] ?? 100);
  const idleWindowMs = Number(process.env['BENCH_DAEMON_IDLE_MS'] ?? 30_000);
  const interval = process.env['BENCH_DAEMON_INTERVAL'] ?? '30s';
  const save = await benchSaveToAction();
  const daemonExitToBootMs = await benchDaemonRestart();
  const shellExitToBootMs = await benchShellLoop();
  const idle = await benchIdle(guests, idleWindowMs, interval);
  return {
    debounceMs: DEBOUNCE_MS,
    saveToStartLogMs: save.log,
    saveToBootMs: save.boot,
    daemonExitToBootMs,
    shellExitToBootMs,
    guests,
    idleCpuPercent: idle.cpu,
    idleWindowMs,
    interval,
    rssMb: idle.rss,
    idleSyscalls: idle.syscalls,
  };
}

export function formatDaemonBench(r: DaemonBenchResult): string[] {
  const list = (v: readonly number[]): string => `median ${median(v)} ms [${v.join(', ')}]`;
  return [
    `save → start decision (daemon log), debounce ${r.debounceMs} ms: ${list(r.saveToStartLogMs)} (target ≤ debounce + 100 ms)`,
    `save → qvm boot (journal): ${list(r.saveToBootMs)}`,
    `exit → restart boot, daemon:     ${list(r.daemonExitToBootMs)}`,
    `exit → restart boot, shell loop: ${list(r.shellExitToBootMs)}  (ratio ${(median(r.daemonExitToBootMs) / median(r.shellExitToBootMs)).toFixed(2)}×, target ≤ 1.15×)`,
    `idle with ${r.guests} guests over ${r.idleWindowMs / 1000} s (resync every ${r.interval}): CPU ${r.idleCpuPercent.toFixed(2)} % of a core (target ≤ 0.15 %), RSS ${r.rssMb.toFixed(1)} MB (target < 120 MB)`,
    'perPass' in r.idleSyscalls
      ? `idle pass with ${r.guests} guests: ${r.idleSyscalls.perPass} syscalls per pass (strace -c over ${r.idleSyscalls.passes} passes; target ≤ 500); most: ${r.idleSyscalls.top}`
      : `idle pass syscalls: skipped (${r.idleSyscalls.skipped})`,
  ];
}
