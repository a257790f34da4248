// Plan time for 100 / 1,000 / 10,000 guests: random DAG (seeded), mixed states; median of several runs.
import { performance } from 'node:perf_hooks';
import type { GuestSpec } from '../src/model/guest-spec.js';
import type { GuestHistory, ObservedGuest } from '../src/model/observed.js';
import { createPlan, type PlanInput } from '../src/planner/create-plan.js';

export interface PlanBenchRow {
  readonly guests: number;
  readonly medianMs: number;
  readonly changes: number;
  readonly holds: number;
  readonly waves: number;
}

// mulberry32: a tiny seeded generator, so every run plans the same fleet.
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.UTC(2025, 0, 6, 12);

function spec(name: string, dependsOn: string[], state: 'running' | 'stopped'): GuestSpec {
  return {
    name, labels: {}, source: { file: `${name}.yaml`, line: 1 }, state, system: name, qvmconf: '', extraArgs: [],
    configHash: `h-${name}`, dependsOn, readiness: { kind: 'none' },
    shutdown: { guestCommand: undefined, guestTimeoutMs: 10_000, powerButtonTimeoutMs: 20_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 5_000 },
    restart: { onGuestExit: 'restart', onFailure: 'restart', backoff: { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 300_000 }, maxFailures: { count: 5, windowMs: 600_000 }, exitCodes: {} },
    update: 'restart', passthrough: [],
  };
}

// Each guest depends on up to 3 earlier ones; states: 60% up to date, 10% changed, 10% stopped,
// 10% crashed, 5% desired stopped, 5% removed.
export function createFleet(count: number, seed = 42): PlanInput {
  const random = createRandom(seed);
  const guests: GuestSpec[] = [];
  const running: ObservedGuest[] = [];
  const histories = new Map<string, GuestHistory>();
  const orphans = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const name = `g${String(i).padStart(5, '0')}`;
    const deps = i === 0 ? [] : [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => `g${String(Math.floor(random() * i)).padStart(5, '0')}`))];
    const roll = random();
    const observed: ObservedGuest = { name, pid: 1000 + i, processStart: '1', configHash: `h-${name}`, startedAt: NOW - 60_000, ready: true, stopping: false };
    if (roll < 0.95) guests.push(spec(name, deps, roll >= 0.9 ? 'stopped' : 'running'));
    else orphans.set(name, NOW - 600_000);
    if (roll < 0.6 || roll >= 0.9) running.push(observed);
    else if (roll < 0.7) running.push({ ...observed, configHash: 'old' });
    else if (roll >= 0.8) {
      histories.set(name, { name, failures: [NOW - 500], failed: false, failedConfigHash: undefined, restarts: 1,
        lastExit: { name, pid: 1, code: 96, signal: null, at: NOW - 500, startedAt: NOW - 1_000, requested: false } });
    }
  }
  return {
    desired: { guests, host: { qvm: { kind: 'simulator' }, connection: { kind: 'local' }, stateDir: '/tmp', concurrency: 8, reconcile: { intervalMs: 30_000, debounceMs: 500 },
      prune: { enabled: true, graceMs: 60_000, maxFraction: 0.1 }, maintenanceWindows: [],
      shutdown: { command: [], rebootCommand: [], deadlineMs: 120_000, unmanaged: 'leave' }, commands: { allow: [] } } },
    running, histories, orphans,
    policy: { now: NOW, explicit: false, fenced: false, manifestsTrusted: true },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function benchPlan(sizes: readonly number[] = [100, 1_000, 10_000], runs = 7): PlanBenchRow[] {
  return sizes.map((size) => {
    const input = createFleet(size);
    createPlan(input); // warm-up
    const times: number[] = [];
    let plan = createPlan(input);
    for (let r = 0; r < runs; r += 1) {
      const start = performance.now();
      plan = createPlan(input);
      times.push(performance.now() - start);
    }
    return { guests: size, medianMs: median(times), changes: plan.changes.length, holds: plan.holds.length, waves: plan.waves.length };
  });
}

// Human-readable lines, with the growth from each size to the next.
export function formatPlanBench(rows: readonly PlanBenchRow[]): string[] {
  return rows.map((row, i) => {
    const prev = rows[i - 1];
    const growth = prev === undefined ? '' : `, ×${(row.medianMs / prev.medianMs).toFixed(1)} for ×${row.guests / prev.guests} guests`;
    return `plan ${row.guests} guests: median ${row.medianMs.toFixed(2)} ms (${row.changes} changes, ${row.holds} holds, ${row.waves} waves${growth})`;
  });
}
