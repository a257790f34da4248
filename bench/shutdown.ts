// Host shutdown makespan for a 50-guest dependency DAG on the simulator: the parallel sequence
// (`runShutdownSequence`) against its critical-path lower bound (the sum of the guests' shutdown
// times along the longest dependency chain) and against one guest at a time, the way many host
// scripts do it, each measured up to the host command. Guests stop by the power button;
// `shutdown-ms` is each guest's shutdown time.
// Sizes from BENCH_SHUTDOWN_GUESTS (default 50) and BENCH_SHUTDOWN_LAYERS (default 5).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import PQueue from 'p-queue';
import { runShutdownSequence, SHUTDOWN_TUNING, type ShutdownResult } from '../src/executor/shutdown-sequence.js';
import type { GuestSpec } from '../src/model/guest-spec.js';
import { createHostRuntime } from '../src/runtime/create-host-runtime.js';
import { guestSpec } from '../test/helpers/runtime-harness.js';
import { testHost } from '../test/helpers/shutdown-fleet.js';
import { waitFor } from '../test/helpers/wait-for.js';

export interface ShutdownBenchResult {
  readonly guests: number;
  readonly layers: number;
  /** Sum of shutdown times along the longest chain. */
  readonly lowerBoundMs: number;
  /** Sum of every guest's shutdown time: the floor of a one-at-a-time sequence. */
  readonly sumMs: number;
  readonly parallelMs: number;
  readonly sequentialMs: number;
  /** From the parallel run's journal: the longest chain of the guests' actual SIGTERM→exit times. */
  readonly actualChainMs: number;
  /** Median time from SIGTERM to exit beyond the configured shutdown time (the simulator's own latency). */
  readonly simLatencyMs: number;
  /** Median time from the last dependent's exit to the dependency's SIGTERM (qvmctl's hand-off). */
  readonly handoffMs: number;
  /** Time from the call to the first SIGTERM, and from the last exit to the host command (fence, lock, observe, confirm). */
  readonly beforeMs: number;
  readonly afterMs: number;
}

interface Timing {
  readonly elapsedMs: number;
  readonly t0: number;
  readonly t1: number;
  readonly signals: ReadonlyMap<string, number>;
  readonly exits: ReadonlyMap<string, number>;
}

async function readJournal(stateDir: string): Promise<{ time: number; system: string; event: string }[]> {
  const text = await readFile(join(stateDir, 'sim', 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { time: number; system: string; event: string });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Fleet {
  readonly specs: readonly GuestSpec[];
  readonly shutdownMs: ReadonlyMap<string, number>;
}

// Deterministic (seeded) layered DAG: every guest below the top layer depends on 1–2 guests of the layer above.
function createFleet(guests: number, layers: number): Fleet {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const perLayer = Math.ceil(guests / layers);
  const shutdownMs = new Map<string, number>();
  const specs: GuestSpec[] = [];
  for (let i = 0; i < guests; i++) {
    const layer = Math.floor(i / perLayer);
    const name = `g${i}`;
    const ms = 300 + Math.round(random() * 9) * 100;
    shutdownMs.set(name, ms);
    const above = Array.from({ length: perLayer }, (_, k) => (layer - 1) * perLayer + k).filter((k) => layer > 0 && k < i);
    const deps = [...new Set([0, 1].slice(0, 1 + Math.round(random())).map(() => above[Math.floor(random() * above.length)]))]
      .filter((k): k is number => k !== undefined).map((k) => `g${k}`);
    const spec = guestSpec(name, { knobs: `boot-ms=100 shutdown-ms=${ms}`, shutdown: { guestCommand: undefined, powerButtonTimeoutMs: 30_000 , powerButton: 'graceful' as const} });
    specs.push({ ...spec, dependsOn: deps });
  }
  return { specs, shutdownMs };
}

// Longest chain of shutdown times: a guest stops after all its dependents, so it ends at max(dependents) + own.
function computeLowerBound(fleet: Fleet): number {
  const ends = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const s of fleet.specs) for (const d of s.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), s.name]);
  const endOf = (name: string): number => {
    const known = ends.get(name);
    if (known !== undefined) return known;
    const end = Math.max(0, ...(dependents.get(name) ?? []).map(endOf)) + (fleet.shutdownMs.get(name) ?? 0);
    ends.set(name, end);
    return end;
  };
  return Math.max(...fleet.specs.map((s) => endOf(s.name)));
}

async function timeShutdown(fleet: Fleet, concurrency: number): Promise<Timing> {
  const stateDir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-shutdown-'));
  const runtime = createHostRuntime({ host: { qvm: { kind: 'simulator' } }, stateDir, tuning: SHUTDOWN_TUNING });
  const starts = new PQueue({ concurrency: 8 });
  try {
    await Promise.all(fleet.specs.map((spec) => starts.add(() => runtime.start(spec))));
    // Every guest booted and idle, so the measurement does not share the CPU with 50 boots.
    await waitFor(async () => (await readJournal(stateDir)).filter((l) => l.event === 'running').length >= fleet.specs.length, { timeoutMs: 60_000 });
    const t0 = Date.now();
    const p0 = performance.now();
    // Measured up to the host command, the moment the host could power off; it only notes the time.
    let hostCommandAt: { readonly wall: number; readonly mono: number } | undefined;
    const result: ShutdownResult = await runShutdownSequence({
      desired: { guests: fleet.specs, host: testHost(stateDir) }, runtime, mode: 'poweroff', concurrency,
      runHostCommand: () => {
        hostCommandAt = { wall: Date.now(), mono: performance.now() };
        return Promise.resolve({ exitCode: 0, signal: undefined, detail: undefined });
      },
    });
    if (result.status !== 'completed' || result.guests.length !== fleet.specs.length || hostCommandAt === undefined) throw new Error(`shutdown ${result.status}: ${result.blockers.join('; ')}`);
    const elapsedMs = hostCommandAt.mono - p0;
    const t1 = hostCommandAt.wall;
    const journal = await readJournal(stateDir);
    const at = (event: string): Map<string, number> => new Map(journal.filter((l) => l.event === event && l.time >= t0).map((l) => [l.system, l.time]));
    return { elapsedMs, t0, t1, signals: at('signal'), exits: at('exit') };
  } finally {
    const left = await runtime.observe();
    const cut = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 5_000, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 5_000 };
    await Promise.all(left.guests.map((g) => runtime.stop(g.name, cut, g)));
    await runtime.state.liftFence();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export async function benchShutdown(
  guests = Number(process.env.BENCH_SHUTDOWN_GUESTS ?? 50),
  layers = Number(process.env.BENCH_SHUTDOWN_LAYERS ?? 5),
): Promise<ShutdownBenchResult> {
  const fleet = createFleet(guests, layers);
  const parallel = await timeShutdown(fleet, Number.POSITIVE_INFINITY);
  const sequential = await timeShutdown(fleet, 1);
  const sumMs = [...fleet.shutdownMs.values()].reduce((a, b) => a + b, 0);
  const { signals, exits } = parallel;
  const actual = new Map(fleet.specs.map((s) => [s.name, (exits.get(s.name) ?? 0) - (signals.get(s.name) ?? 0)]));
  const handoffs = fleet.specs.flatMap((s) => {
    const dependents = fleet.specs.filter((d) => d.dependsOn.includes(s.name));
    return dependents.length === 0 ? [] : [(signals.get(s.name) ?? 0) - Math.max(...dependents.map((d) => exits.get(d.name) ?? 0))];
  });
  return {
    guests, layers, lowerBoundMs: computeLowerBound(fleet), sumMs, parallelMs: parallel.elapsedMs, sequentialMs: sequential.elapsedMs,
    actualChainMs: computeLowerBound({ specs: fleet.specs, shutdownMs: actual }),
    simLatencyMs: median(fleet.specs.map((s) => (actual.get(s.name) ?? 0) - (fleet.shutdownMs.get(s.name) ?? 0))),
    handoffMs: median(handoffs),
    beforeMs: Math.min(...signals.values()) - parallel.t0,
    afterMs: parallel.t1 - Math.max(...exits.values()),
  };
}

export function formatShutdownBench(r: ShutdownBenchResult): string[] {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  const over = (n: number, base: number): string => `${n >= base ? '+' : ''}${(((n - base) / base) * 100).toFixed(1)}%`;
  return [
    `guests ${r.guests} in ${r.layers} dependency layers, stopped by the power button (shutdown 300–1200 ms each)`,
    `critical-path lower bound ${ms(r.lowerBoundMs)}; sum of all shutdown times ${ms(r.sumMs)}`,
    `parallel sequence ${ms(r.parallelMs)} (${over(r.parallelMs, r.lowerBoundMs)} over the lower bound)`,
    `  of which: before the first SIGTERM ${ms(r.beforeMs)}, last exit → host command ${ms(r.afterMs)}; hand-off dependent exit → dependency SIGTERM median ${ms(r.handoffMs)}`,
    `  simulator latency (SIGTERM → exit beyond shutdown-ms) median ${ms(r.simLatencyMs)}; chain of actual SIGTERM → exit times ${ms(r.actualChainMs)}`,
    `one at a time ${ms(r.sequentialMs)} (${over(r.sequentialMs, r.sumMs)} over the sum; ${(r.sequentialMs / r.parallelMs).toFixed(1)}× the parallel sequence)`,
  ];
}
