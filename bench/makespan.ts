// Start-up makespan of a 50-guest DAG on the simulator against its critical-path lower bound (the
// sum of boot times along the longest dependency chain): how close ordering, readiness gates and
// parallelism get to the best any orchestrator could do.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runPass } from '../src/executor/reconcile-pass.js';
import { loadManifests } from '../src/manifest/load.js';
import type { ShutdownSpec } from '../src/model/guest-spec.js';
import { createHostRuntime } from '../src/runtime/create-host-runtime.js';

export interface MakespanBenchResult {
  readonly guests: number;
  readonly levels: number;
  readonly lowerBoundMs: number;
  readonly makespanMs: number;
  readonly overheadPerLevelMs: number;
  /** Median time from the last dependency's `running` to qvmctl starting the guest (readiness detection + scheduling). */
  readonly reactionMs: number;
  /** Median time from qvmctl starting a guest to its qvm's `boot` (state files, monitor, qvm process start-up). */
  readonly launchMs: number;
  /** The same launch time for one guest on an otherwise idle host: what a simulated qvm costs to start. */
  readonly soloLaunchMs: number;
  /** Where the makespan beyond the bound went, summed along the chain that actually finished last. */
  readonly chain: ChainBreakdown;
}

/** The observed critical chain, hop by hop: what each part added to the makespan. */
export interface ChainBreakdown {
  readonly guests: readonly string[];
  /** Pass start → first start call: load, observe, plan. */
  readonly beforeFirstStartMs: number;
  /** Summed over hops: a dependency's `running` → qvmctl's start call for the dependent. */
  readonly reactionMs: number;
  /** Summed over the chain: start call → the qvm's clock origin (running − boot-ms): state files, lock, spawn. */
  readonly launchGapMs: number;
  /** Last guest `running` → the pass returns: readiness detection of the last guest and the pass's end. */
  readonly afterLastRunningMs: number;
}

export interface BenchGuest {
  readonly name: string;
  readonly bootMs: number;
  readonly dependsOn: readonly string[];
}

// Deterministic pseudo-random numbers (mulberry32), so every run benchmarks the same DAG.
function createRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createBenchDag(levelSizes: readonly number[] = [2, 8, 15, 15, 10], seed = 7): BenchGuest[] {
  const random = createRandom(seed);
  const guests: BenchGuest[] = [];
  let previous: string[] = [];
  levelSizes.forEach((size, level) => {
    const current: string[] = [];
    for (let i = 0; i < size; i++) {
      const name = `l${level}-g${i}`;
      const deps = previous.length === 0 ? [] : [...new Set([0, 1].map(() => previous[Math.floor(random() * previous.length)] ?? ''))];
      guests.push({ name, bootMs: 1500 + Math.round(random() * 1500), dependsOn: deps });
      current.push(name);
    }
    previous = current;
  });
  return guests;
}

export function criticalPathMs(guests: readonly BenchGuest[]): number {
  const byName = new Map(guests.map((g) => [g.name, g]));
  const memo = new Map<string, number>();
  const finish = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const guest = byName.get(name);
    const value = guest === undefined ? 0 : guest.bootMs + Math.max(0, ...guest.dependsOn.map(finish));
    memo.set(name, value);
    return value;
  };
  return Math.max(...guests.map((g) => finish(g.name)));
}

function manifest(guest: BenchGuest): string {
  return [
    'apiVersion: qvmctl/v1',
    'kind: Guest',
    `metadata: { name: ${guest.name} }`,
    'spec:',
    '  qvm:',
    '    ram: ["0x80000000,128M"]',
    `    simulator: { boot-ms: ${guest.bootMs}, shutdown-ms: 100 }`,
    `  dependsOn: [${guest.dependsOn.join(', ')}]`,
    '  readiness: { logPattern: "login:", timeout: 60s }',
    '',
  ].join('\n');
}

export async function benchMakespan(): Promise<MakespanBenchResult> {
  const root = await mkdtemp(join(tmpdir(), 'qvmctl-bench-makespan-'));
  const dag = createBenchDag();
  const stateDir = join(root, 'state');
  await writeFile(join(root, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nmetadata: { name: bench }\nspec:\n  qvm: { simulator: true }\n  stateDir: ${stateDir}\n  concurrency: ${dag.length}\n`);
  await Promise.all(dag.map((g) => writeFile(join(root, `${g.name}.yaml`), manifest(g))));
  const loaded = await loadManifests({ dir: root });
  if (loaded.desired === undefined) throw new Error(`bench manifests invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  const runtime = createHostRuntime({ host: loaded.desired.host, stateDir });
  try {
    const soloLaunchMs = await measureSoloLaunch(root);
    const startCalls = new Map<string, number>();
    const wallStart = Date.now();
    const t0 = performance.now();
    const pass = await runPass({
      desired: loaded.desired,
      runtime,
      explicit: true,
      hooks: { onStepStart: (step) => { startCalls.set(step.guest, Date.now()); } },
    });
    const makespanMs = performance.now() - t0;
    if (!pass.execution.ok) throw new Error(`apply failed: ${pass.execution.failed.join(', ')}`);
    const lowerBoundMs = criticalPathMs(dag);
    const levels = 5;
    const journal = await readJournal(stateDir);
    const time = (system: string, event: string) => journal.find((e) => e.system === system && e.event === event)?.time ?? Number.NaN;
    const dependents = dag.filter((g) => g.dependsOn.length > 0);
    const reactionMs = median(dependents.map((g) => (startCalls.get(g.name) ?? Number.NaN) - Math.max(...g.dependsOn.map((d) => time(d, 'running')))));
    const launchMs = median(dag.map((g) => time(g.name, 'boot') - (startCalls.get(g.name) ?? Number.NaN)));
    const chain = traceChain({ dag, startCalls, running: (name) => time(name, 'running'), passStart: wallStart, passEnd: wallStart + makespanMs });
    return { guests: dag.length, levels, lowerBoundMs, makespanMs, overheadPerLevelMs: (makespanMs - lowerBoundMs) / levels, reactionMs, launchMs, soloLaunchMs, chain };
  } finally {
    await stopAll(stateDir);
    await rm(root, { recursive: true, force: true });
  }
}

// Walks back from the guest that reached `running` last, each time to the dependency that did so last.
export function traceChain(options: {
  readonly dag: readonly BenchGuest[];
  readonly startCalls: ReadonlyMap<string, number>;
  readonly running: (name: string) => number;
  readonly passStart: number;
  readonly passEnd: number;
}): ChainBreakdown {
  const { dag, startCalls, running } = options;
  const byName = new Map(dag.map((g) => [g.name, g]));
  const latest = (names: readonly string[]): BenchGuest | undefined =>
    names.map((n) => byName.get(n)).filter((g): g is BenchGuest => g !== undefined).sort((a, b) => running(b.name) - running(a.name))[0];
  const guests: BenchGuest[] = [];
  for (let g = latest(dag.map((x) => x.name)); g !== undefined; g = latest(g.dependsOn)) guests.unshift(g);
  const call = (g: BenchGuest): number => startCalls.get(g.name) ?? Number.NaN;
  const first = guests[0];
  const last = guests.at(-1);
  let reactionMs = 0;
  let launchGapMs = 0;
  guests.forEach((g, i) => {
    launchGapMs += running(g.name) - g.bootMs - call(g);
    const dep = guests[i - 1];
    if (dep !== undefined) reactionMs += call(g) - running(dep.name);
  });
  return {
    guests: guests.map((g) => g.name),
    beforeFirstStartMs: first === undefined ? 0 : call(first) - options.passStart,
    reactionMs,
    launchGapMs,
    afterLastRunningMs: last === undefined ? 0 : options.passEnd - running(last.name),
  };
}

/** Where the time of the shutdown chain that ended last went (the journal's signal and exit times). */
export interface ShutdownChain {
  readonly guests: readonly string[];
  /** The sequence's start → the chain's first SIGTERM. */
  readonly beforeFirstSignalMs: number;
  /** Each link: the last dependent's exit → this guest's SIGTERM. */
  readonly handOffMs: number;
  readonly handOffs: number;
  /** SIGTERM → exit along the chain (the guests' own shutdown times, and how late the simulator saw them). */
  readonly stoppingMs: number;
  /** The chain's last exit → the sequence's end. */
  readonly afterLastExitMs: number;
}

/**
 * The chain of a shutdown: a guest stops once every guest that depends on it has stopped, so the
 * guest that ended last is preceded by its dependent that ended last, and so on.
 */
export function traceShutdownChain(options: { readonly dag: readonly BenchGuest[]; readonly journal: readonly JournalEntry[]; readonly from: number; readonly to: number }): ShutdownChain {
  const inWindow = options.journal.filter((e) => e.time >= options.from && e.time <= options.to);
  const first = (name: string, event: string): number => inWindow.find((e) => e.system === name && e.event === event)?.time ?? Number.NaN;
  const exitOf = (name: string): number => first(name, 'exit');
  const dependents = (name: string): BenchGuest[] => options.dag.filter((g) => g.dependsOn.includes(name));
  const latest = (guests: readonly BenchGuest[]): BenchGuest | undefined => [...guests].sort((a, b) => exitOf(b.name) - exitOf(a.name))[0];
  const chain: BenchGuest[] = [];
  for (let g = latest(options.dag); g !== undefined; g = latest(dependents(g.name))) chain.unshift(g);
  let handOffMs = 0;
  let stoppingMs = 0;
  chain.forEach((g, i) => {
    stoppingMs += exitOf(g.name) - first(g.name, 'signal');
    const before = chain[i - 1];
    if (before !== undefined) handOffMs += first(g.name, 'signal') - exitOf(before.name);
  });
  const head = chain[0];
  const tail = chain.at(-1);
  return {
    guests: chain.map((g) => g.name),
    beforeFirstSignalMs: head === undefined ? 0 : first(head.name, 'signal') - options.from,
    handOffMs,
    handOffs: Math.max(0, chain.length - 1),
    stoppingMs,
    afterLastExitMs: tail === undefined ? 0 : options.to - exitOf(tail.name),
  };
}

export function formatShutdownChain(chain: ShutdownChain): string {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  return `observed shutdown chain ${chain.guests.join(' → ')}: before the first SIGTERM ${ms(chain.beforeFirstSignalMs)}, hand-offs (exit → next SIGTERM) ${ms(chain.handOffMs)} over ${chain.handOffs}, stopping (SIGTERM → exit) ${ms(chain.stoppingMs)}, after the last exit ${ms(chain.afterLastExitMs)}`;
}

export interface JournalEntry { readonly time: number; readonly system: string; readonly event: string }

/** The simulator's journal, in QVM_SIM_DIR (by default the state directory's `sim`). */
export async function readJournal(stateDir: string, simDir = join(stateDir, 'sim')): Promise<JournalEntry[]> {
  const text = await readFile(join(simDir, 'journal.jsonl'), 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as JournalEntry);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// One guest started alone through the same runtime: the fixed cost of launching a simulated qvm.
async function measureSoloLaunch(root: string): Promise<number> {
  const stateDir = join(root, 'solo-state');
  const runtime = createHostRuntime({ host: { qvm: { kind: 'simulator' } }, stateDir });
  const spec = (await loadManifests({ dir: root })).desired?.guests[0];
  if (spec === undefined) throw new Error('no guest to launch');
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const guest = await runtime.start(spec);
    const boot = (await readJournal(stateDir)).filter((e) => e.system === spec.name && e.event === 'boot').at(-1)?.time ?? Number.NaN;
    times.push(boot - t0);
    await runtime.stop(spec.name, { ...spec.shutdown, allowPowerCut: true }, guest);
  }
  return median(times);
}

async function stopAll(stateDir: string): Promise<void> {
  const runtime = createHostRuntime({ host: { qvm: { kind: 'simulator' } }, stateDir });
  const button: ShutdownSpec = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 10_000, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 5_000 };
  const observed = await runtime.observe();
  await Promise.all(observed.guests.map((g) => runtime.stop(g.name, button, g)));
}

export function formatChain(chain: ChainBreakdown): string {
  return `observed critical chain ${chain.guests.join(' → ')}: before the first start ${chain.beforeFirstStartMs.toFixed(0)} ms, reactions ${chain.reactionMs.toFixed(0)} ms, launch gaps (start call → qvm clock) ${chain.launchGapMs.toFixed(0)} ms, after the last running ${chain.afterLastRunningMs.toFixed(0)} ms`;
}

export function formatMakespanBench(r: MakespanBenchResult): string[] {
  const over = ((r.makespanMs / r.lowerBoundMs - 1) * 100).toFixed(1);
  return [
    `guests ${r.guests} in ${r.levels} dependency levels, readiness by console log line`,
    `median reaction (dependency running → qvmctl starts the dependent) ${r.reactionMs.toFixed(0)} ms`,
    `median launch (qvmctl starts a guest → its qvm boots) ${r.launchMs.toFixed(0)} ms; one guest alone ${r.soloLaunchMs.toFixed(0)} ms`,
    formatChain(r.chain),
    `critical-path lower bound ${(r.lowerBoundMs / 1000).toFixed(2)} s, makespan ${(r.makespanMs / 1000).toFixed(2)} s (+${over}%, ${r.overheadPerLevelMs.toFixed(0)} ms per level)`,
  ];
}
