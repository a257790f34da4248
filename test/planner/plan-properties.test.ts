// Property tests: for random DAGs with random running/history states, every plan is valid
// (including the start-rate limit: never a start over it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuestSpec, UpdatePolicy } from '../../src/model/guest-spec.js';
import type { GuestHistory, ObservedGuest } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { createPlan, type PlanInput } from '../../src/planner/create-plan.js';
import { recentStarts } from '../../src/planner/exit-policy.js';
import { desired, exit, guest, history, NOW, planInput, running } from './fixtures.js';

const NUM_RUNS = Number(process.env.PLAN_PROPERTY_RUNS ?? 500);
const EXIT_CODES = [0, 3, 4, 7, 40, 41, 64, 65, 96, null] as const;

const guestState = fc.record({
  inManifest: fc.boolean(),
  dependsOn: fc.array(fc.nat(), { maxLength: 3 }),
  unknownDep: fc.boolean(),
  stopped: fc.boolean(),
  isRunning: fc.boolean(),
  stopping: fc.boolean(),
  changed: fc.boolean(),
  update: fc.constantFrom<UpdatePolicy>('restart', 'window', 'manual'),
  exitCode: fc.option(fc.constantFrom(...EXIT_CODES), { nil: undefined }),
  requested: fc.boolean(),
  failures: fc.nat({ max: 6 }),
  failed: fc.boolean(),
  exitAgoMs: fc.nat({ max: 120_000 }),
  startsAgoMs: fc.array(fc.nat({ max: 120_000 }), { maxLength: 7 }),
  orphanAgoMs: fc.nat({ max: 120_000 }),
});

const scenario = fc.record({
  guests: fc.array(guestState, { minLength: 1, maxLength: 25 }),
  explicit: fc.boolean(),
  fenced: fc.boolean(),
  trusted: fc.boolean(),
  prune: fc.record({ enabled: fc.boolean(), graceMs: fc.constantFrom(0, 60_000), maxFraction: fc.constantFrom(0.1, 0.5, 1) }),
  order: fc.array(fc.double({ noNaN: true }), { minLength: 25, maxLength: 25 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function buildInput(s: Scenario): PlanInput {
  const specs: GuestSpec[] = [];
  const observed: ObservedGuest[] = [];
  const histories = new Map<string, GuestHistory>();
  const orphans = new Map<string, number>();
  s.guests.forEach((g, i) => {
    const name = `g${String(i).padStart(2, '0')}`;
    // Dependencies only on lower indices: always a DAG.
    const deps = i === 0 ? [] : [...new Set(g.dependsOn.map((d) => `g${String(d % i).padStart(2, '0')}`))];
    if (g.unknownDep && i % 7 === 3) deps.push('ghost');
    if (g.inManifest || !g.isRunning) {
      specs.push(guest(name, {
        dependsOn: deps,
        state: g.stopped ? 'stopped' : 'running',
        update: g.update,
        restart: { exitCodes: { 40: 'reboot', 41: 'poweroff' } },
      }));
    } else {
      orphans.set(name, NOW - g.orphanAgoMs);
    }
    if (g.isRunning) observed.push(running(name, { pid: 100 + i, stopping: g.stopping, configHash: g.changed ? 'old' : `hash-${name}-v1` }));
    if (g.exitCode !== undefined) {
      const at = NOW - g.exitAgoMs;
      const stored: GuestHistory = {
        ...history(name, {
          failures: Array.from({ length: g.failures }, (_, k) => at - k * 1_000),
          lastExit: exit(name, { code: g.exitCode, signal: g.exitCode === null ? 'SIGSEGV' : null, at, startedAt: at - 500, requested: g.requested }),
          failed: g.failed,
          failedConfigHash: g.failed && g.changed ? 'other' : `hash-${name}-v1`,
        }),
        recentStarts: g.startsAgoMs.map((ago) => NOW - ago).sort((a, b) => a - b),
      };
      histories.set(name, stored);
    }
  });
  return planInput({
    desired: desired(specs, { prune: s.prune }),
    running: observed,
    histories,
    orphans,
    policy: { explicit: s.explicit, fenced: s.fenced, manifestsTrusted: s.trusted },
  });
}

const stopHalf = (action: string | undefined) => action === 'stop' || action === 'restart';
const startHalf = (action: string | undefined) => action === 'start' || action === 'restart';

function checkPlan(input: PlanInput, plan: Plan): void {
  const change = new Map(plan.changes.map((c) => [c.guest, c]));
  expect(change.size).toBe(plan.changes.length); // never two changes for one guest
  const specs = new Map(input.desired.guests.map((g) => [g.name, g]));
  const alive = new Map(input.running.map((g) => [g.name, g]));
  const willRun = (name: string) => specs.has(name) && (startHalf(change.get(name)?.action) || (alive.has(name) && change.get(name) === undefined));
  for (const c of plan.changes) {
    expect(plan.holds.some((h) => h.guest === c.guest)).toBe(false);
    if (c.action === 'start') {
      expect(input.running.some((g) => g.name === c.guest)).toBe(false);
      // Never over the start-rate limit.
      const limit = specs.get(c.guest)?.restart.startLimit;
      const now = input.policy.now;
      if (limit !== undefined) expect(recentStarts(input.histories.get(c.guest)).filter((t) => t > now - limit.intervalMs && t <= now).length).toBeLessThan(limit.burst);
    } else expect(alive.has(c.guest)).toBe(true);
    if (startHalf(c.action)) {
      expect(input.policy.fenced).toBe(false);
      // Never started before its dependencies: each runs already or starts earlier (by startAfter).
      for (const dep of specs.get(c.guest)?.dependsOn ?? []) {
        expect(willRun(dep)).toBe(true);
        if (startHalf(change.get(dep)?.action)) expect(c.startAfter).toContain(dep);
      }
    }
    if (stopHalf(c.action)) {
      // Never stopped before its dependents: each running dependent stops first (by stopAfter).
      for (const [name] of alive) {
        if (!(specs.get(name)?.dependsOn ?? []).includes(c.guest)) continue;
        expect(stopHalf(change.get(name)?.action)).toBe(true);
        expect(c.stopAfter).toContain(name);
      }
    }
  }
  // Waves: each half exactly once, after every predecessor's wave.
  const stopWaves = plan.waves.slice(0, plan.stopWaveCount);
  const startWaves = plan.waves.slice(plan.stopWaveCount);
  const waveOf = (waves: readonly (readonly string[])[]) => new Map(waves.flatMap((w, i) => w.map((g) => [g, i] as const)));
  const stopAt = waveOf(stopWaves);
  const startAt = waveOf(startWaves);
  expect(stopWaves.flat().length).toBe(plan.changes.filter((c) => stopHalf(c.action)).length);
  expect(startWaves.flat().length).toBe(plan.changes.filter((c) => startHalf(c.action)).length);
  for (const c of plan.changes) {
    for (const d of c.stopAfter) expect(stopAt.get(d) ?? Infinity).toBeLessThan(stopAt.get(c.guest) ?? -1);
    for (const d of c.startAfter) expect(startAt.get(d) ?? Infinity).toBeLessThan(startAt.get(c.guest) ?? -1);
  }
}

function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items.map((item, i) => ({ item, key: keys[i % keys.length] ?? 0 })).sort((a, b) => a.key - b.key).map((x) => x.item);
}

describe('planner properties', () => {
  it(`every plan is valid (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(scenario, (s) => {
      const input = buildInput(s);
      checkPlan(input, createPlan(input));
    }), { numRuns: NUM_RUNS });
  });

  it(`is deterministic under input permutation (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(scenario, (s) => {
      const input = buildInput(s);
      const shuffled: PlanInput = {
        ...input,
        desired: { ...input.desired, guests: permute(input.desired.guests, s.order) },
        running: permute(input.running, [...s.order].reverse()),
        histories: new Map(permute([...input.histories], s.order)),
        orphans: new Map(permute([...input.orphans], s.order)),
      };
      expect(createPlan(shuffled)).toEqual(createPlan(input));
    }), { numRuns: NUM_RUNS });
  });
});
