// 200 simulated guests at once: time to all running, per-guest RSS and PSS, CPU while idle, and
// time for all to stop on SIGTERM. Reads /proc (Linux only).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SIM_NODE_FLAGS } from '../src/sim/launch.js';

const SIM_MAIN = resolve(import.meta.dirname, '..', 'dist', 'sim', 'main.js');

export interface SimBenchOptions {
  readonly guests?: number;
  readonly idleMs?: number;
  readonly flags?: readonly string[];
}

export interface SimBenchResult {
  readonly guests: number;
  readonly startToRunningMs: number;
  readonly rssKb: { readonly median: number; readonly max: number };
  readonly pssKb: { readonly median: number; readonly max: number; readonly total: number };
  readonly threads: number;
  readonly idleMs: number;
  /** CPU time used by all guests together during the idle interval, as a share of one core. */
  readonly idleCpuPercentOfOneCore: number;
  readonly stopMs: number;
  readonly exitCodes: Readonly<Record<string, number>>;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function countRunning(journal: string): Promise<number> {
  const text = await readFile(journal, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.includes('"event":"running"')).length;
}

async function smapsKb(pid: number, field: 'Rss' | 'Pss'): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

async function cpuTicks(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function threadCount(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(text)?.[1] ?? NaN);
}

function summarize(values: readonly number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

export async function benchSim(options: SimBenchOptions = {}): Promise<SimBenchResult> {
  const guests = options.guests ?? 200;
  const idleMs = options.idleMs ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-sim-'));
  const children: ChildProcess[] = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < guests; i += 1) {
      const conf = join(dir, `g${i}.qvmconf`);
      await writeFile(conf, `system g${i}\n# qvm-sim: boot-ms=200 shutdown-ms=200\ncpu\nram 0x80000000,64M\nvdev pl011 loc 0x1c090000 intr gic:37\n`);
      children.push(spawn(process.execPath, [...(options.flags ?? SIM_NODE_FLAGS), SIM_MAIN, `@${conf}`], {
        env: { ...process.env, QVM_SIM_DIR: dir }, stdio: 'ignore',
      }));
    }
    const exits = children.map((c) => new Promise<number>((r) => { c.on('exit', (code) => { r(code ?? -1); }); }));
    await waitUntil(async () => (await countRunning(join(dir, 'journal.jsonl'))) >= guests, 120_000, 'all guests running');
    const startToRunningMs = performance.now() - t0;
    const pids = children.map((c) => c.pid ?? -1);
    await delay(1000);
    const rss = await Promise.all(pids.map((p) => smapsKb(p, 'Rss')));
    const pss = await Promise.all(pids.map((p) => smapsKb(p, 'Pss')));
    const threads = await threadCount(pids[0] ?? -1);
    const before = await Promise.all(pids.map(cpuTicks));
    const idleStart = performance.now();
    await delay(idleMs);
    const after = await Promise.all(pids.map(cpuTicks));
    const idleElapsed = performance.now() - idleStart;
    const ticks = after.reduce((sum, a, i) => sum + a - (before[i] ?? a), 0);
    const idleCpuPercentOfOneCore = ((ticks * 10) / idleElapsed) * 100; // 100 ticks per second on Linux
    const t1 = performance.now();
    for (const child of children) child.kill('SIGTERM');
    const codes = await Promise.all(exits);
    const stopMs = performance.now() - t1;
    const exitCodes: Record<string, number> = {};
    for (const code of codes) exitCodes[String(code)] = (exitCodes[String(code)] ?? 0) + 1;
    return {
      guests, startToRunningMs, rssKb: summarize(rss), threads,
      pssKb: { ...summarize(pss), total: pss.reduce((a, b) => a + b, 0) },
      idleMs: idleElapsed, idleCpuPercentOfOneCore, stopMs, exitCodes,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatSimBench(r: SimBenchResult): string[] {
  const mb = (kb: number): string => (kb / 1024).toFixed(1);
  return [
    `guests                      ${r.guests}`,
    `start → all running         ${(r.startToRunningMs / 1000).toFixed(1)} s`,
    `RSS per guest median / max  ${mb(r.rssKb.median)} / ${mb(r.rssKb.max)} MB`,
    `PSS per guest median / max  ${mb(r.pssKb.median)} / ${mb(r.pssKb.max)} MB (total ${mb(r.pssKb.total)} MB)`,
    `threads per guest           ${r.threads}`,
    `idle CPU, all guests        ${r.idleCpuPercentOfOneCore.toFixed(2)} % of one core over ${(r.idleMs / 1000).toFixed(0)} s`,
    `SIGTERM → all exited        ${(r.stopMs / 1000).toFixed(1)} s`,
    `exit codes                  ${Object.entries(r.exitCodes).map(([c, n]) => `${c}×${n}`).join(' ')}`,
  ];
}
