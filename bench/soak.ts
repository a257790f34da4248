// Soak (`npm run soak`, not part of `npm test`): SOAK_GUESTS simulated guests (default 200) under
// `qvmctl run`, with random guest crashes, reboots and manifest edits for SOAK_MINUTES (default 5).
// Samples `qvmctl status` latency (CLI and control API), the daemon's RSS, and checks from the
// journal that no guest came back from a failure faster than its backoff.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { fetchDaemon } from '../src/cli/daemon-client.js';
import { CLI, createDaemonHarness, guestYaml, waitFor, type DaemonHarness } from '../test/helpers/daemon-harness.js';
import type { JournalLine } from '../test/helpers/runtime-harness.js';

const GUESTS = Number(process.env['SOAK_GUESTS'] ?? 200);
const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 5);
const BACKOFF_INITIAL_MS = 2_000;
const RESTART = `  restart:
    backoff: { initial: 2s, max: 20s, resetAfter: 1m }
    maxFailures: { count: 1000, window: 1m }
    startLimit: { interval: 0s }
`;

const name = (i: number): string => `g${String(i).padStart(3, '0')}`;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? Number.NaN;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function runningCount(h: DaemonHarness): Promise<number> {
  return (await h.status()).guests.filter((g) => g.phase === 'running').length;
}

// Failure exits (code ≠ 0) followed by the next boot of that system sooner than the backoff. A
// manifest edit of that guest in between legitimately starts it at once (a new config is a new try).
function backoffViolations(journal: readonly JournalLine[], edits: ReadonlyMap<string, readonly number[]>): { checked: number; violations: string[]; minGapMs: number } {
  const lines = [...journal].sort((a, b) => a.time - b.time);
  const violations: string[] = [];
  let checked = 0;
  let minGapMs = Infinity;
  lines.forEach((line, i) => {
    if (line.event !== 'exit' || line.code === 0) return;
    const next = lines.slice(i + 1).find((l) => l.system === line.system && l.event === 'boot');
    if (next === undefined) return;
    if ((edits.get(line.system) ?? []).some((t) => t >= line.time - 1_000 && t <= next.time)) return;
    checked++;
    const gap = next.time - line.time;
    minGapMs = Math.min(minGapMs, gap);
    if (gap < BACKOFF_INITIAL_MS) violations.push(`${line.system}: exit ${String(line.code)} → boot after ${gap} ms`);
  });
  return { checked, violations, minGapMs };
}

export interface SoakResult {
  readonly guests: number;
  readonly minutes: number;
  readonly startupMs: number;
  readonly actions: Readonly<Record<string, number>>;
  readonly cliStatusMs: readonly number[];
  readonly apiStatusMs: readonly number[];
  readonly rssMb: readonly number[];
  readonly backoff: ReturnType<typeof backoffViolations>;
  readonly runningAtEnd: number;
}

export async function soak(): Promise<SoakResult> {
  const h = await createDaemonHarness({ debounce: '300ms', interval: '10s' });
  try {
    for (let i = 0; i < GUESTS; i++) await h.write(`${name(i)}.yaml`, guestYaml(name(i), { knobs: 'boot-ms=100 shutdown-ms=100', spec: RESTART }));
    await h.commit('fleet');
    const t0 = Date.now();
    await h.startDaemon(['--log-level', 'info']);
    await waitFor(async () => (await runningCount(h)) === GUESTS, { timeoutMs: 600_000, intervalMs: 1_000, message: 'all guests running' });
    const startupMs = Date.now() - t0;
    const pid = h.daemon?.pid ?? 0;
    const actions: Record<string, number> = { crash: 0, reboot: 0, edit: 0 };
    const cliStatusMs: number[] = [];
    const apiStatusMs: number[] = [];
    const rss: number[] = [await rssMb(pid)];
    const end = Date.now() + MINUTES * 60_000;
    let edits = 0;
    const editTimes = new Map<string, number[]>();
    let nextSample = Date.now();
    while (Date.now() < end) {
      const action = pick(['crash', 'crash', 'reboot', 'reboot', 'edit'] as const);
      const target = name(Math.floor(Math.random() * GUESTS));
      if (action === 'edit') {
        edits++;
        editTimes.set(target, [...(editTimes.get(target) ?? []), Date.now()]);
        await h.write(`${target}.yaml`, guestYaml(target, { knobs: `boot-ms=${100 + (edits % 5)} shutdown-ms=100`, spec: RESTART }));
      } else {
        await h.guestCommand(target, action).catch(() => undefined);
      }
      actions[action] = (actions[action] ?? 0) + 1;
      if (Date.now() >= nextSample) {
        nextSample = Date.now() + 5_000;
        let t = Date.now();
        await fetchDaemon(h.stateDir, '/status');
        apiStatusMs.push(Date.now() - t);
        t = Date.now();
        await execa(process.execPath, [CLI, 'status', '-f', h.manifestDir, '--state-dir', h.stateDir], { reject: false, forceKillAfterDelay: false });
        cliStatusMs.push(Date.now() - t);
        rss.push(await rssMb(pid));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Let the last failures come back before counting.
    await waitFor(async () => (await runningCount(h)) === GUESTS, { timeoutMs: 120_000, intervalMs: 1_000 }).catch(() => undefined);
    return { guests: GUESTS, minutes: MINUTES, startupMs, actions, cliStatusMs, apiStatusMs, rssMb: rss, backoff: backoffViolations(await h.journal(), editTimes), runningAtEnd: await runningCount(h) };
  } finally {
    await h.cleanup();
  }
}

export function formatSoak(r: SoakResult): string[] {
  const ms = (xs: readonly number[]): string => `p50 ${pct(xs, 50)} ms, p95 ${pct(xs, 95)} ms, max ${Math.max(...xs)} ms (${xs.length} samples)`;
  const third = Math.max(1, Math.floor(r.rssMb.length / 3));
  const avg = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [
    `${r.guests} guests, ${r.minutes} min, all running after ${(r.startupMs / 1000).toFixed(1)} s`,
    `actions: ${Object.entries(r.actions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `status via control API: ${ms(r.apiStatusMs)}`,
    `qvmctl status (CLI process): ${ms(r.cliStatusMs)}`,
    `daemon RSS: start ${r.rssMb[0]?.toFixed(1)} MB, first third avg ${avg(r.rssMb.slice(0, third)).toFixed(1)} MB, last third avg ${avg(r.rssMb.slice(-third)).toFixed(1)} MB, max ${Math.max(...r.rssMb).toFixed(1)} MB`,
    `backoff: ${r.backoff.checked} failure restarts checked, min exit→boot ${r.backoff.minGapMs} ms (backoff initial ${BACKOFF_INITIAL_MS} ms), ${r.backoff.violations.length} violations${r.backoff.violations.length > 0 ? `: ${r.backoff.violations.slice(0, 5).join('; ')}` : ''}`,
    `running at end: ${r.runningAtEnd}/${r.guests}`,
  ];
}

if (process.argv[1]?.endsWith('soak.ts') === true) {
  for (const line of formatSoak(await soak())) console.log(line);
}
