import { describe, expect, it } from 'vitest';
import type { ShutdownSpec } from '../../src/model/guest-spec.js';
import { computeStopBudgetMs, createShutdownPlan } from '../../src/planner/shutdown-plan.js';
import { desired, guest, running } from './fixtures.js';

const ladder = (guestMs: number | undefined, buttonMs: number, cutMs?: number): ShutdownSpec => ({
  guestCommand: guestMs === undefined ? undefined : ['shutdown'],
  guestTimeoutMs: guestMs ?? 99_999,
  powerButtonTimeoutMs: buttonMs, powerButton: 'graceful' as const,
  allowPowerCut: cutMs !== undefined,
  powerCutTimeoutMs: cutMs ?? 99_999,
});
const fallback = ladder(undefined, 30_000);

describe('computeStopBudgetMs', () => {
  it('adds only the steps that apply', () => {
    expect(computeStopBudgetMs(ladder(10_000, 20_000, 5_000))).toBe(35_000);
    expect(computeStopBudgetMs(ladder(undefined, 20_000))).toBe(20_000);
  });
});

describe('createShutdownPlan', () => {
  // svc ← cluster ← ivi; svc ← hud
  const guests = [
    guest('svc', { shutdown: ladder(10_000, 20_000) }),
    guest('cluster', { dependsOn: ['svc'], shutdown: ladder(5_000, 5_000) }),
    guest('ivi', { dependsOn: ['cluster'], shutdown: ladder(undefined, 10_000, 2_000) }),
    guest('hud', { dependsOn: ['svc'], shutdown: ladder(40_000, 1_000) }),
  ];

  it('stops dependents first and sums the critical path', () => {
    const plan = createShutdownPlan({
      desired: desired(guests, { shutdown: { command: ['shutdown'], rebootCommand: [], deadlineMs: 60_000, unmanaged: 'stop' } }),
      running: ['svc', 'cluster', 'ivi', 'hud', 'old'].map((name) => running(name)),
      unmanaged: [{ pid: 77, processStart: '1', argv: ['qvm', '@x'] }],
      fallbackShutdown: fallback,
    });
    expect(plan.waves.map((w) => w.map((s) => `${s.guest}:${s.budgetMs}`))).toEqual([
      ['hud:41000', 'ivi:12000', 'old:30000', 'pid:77:30000'],
      ['cluster:10000'],
      ['svc:30000'],
    ]);
    // hud (41 s) → svc (30 s) beats ivi (12) → cluster (10) → svc (30).
    expect(plan.criticalPath).toEqual(['hud', 'svc']);
    expect(plan.criticalPathMs).toBe(71_000);
    expect(plan.withinDeadline).toBe(false);
  });

  it('only stops guests that run and reports unmanaged processes by policy', () => {
    const unmanaged = [{ pid: 77, processStart: '1', argv: ['qvm'] }];
    const plan = createShutdownPlan({
      desired: desired(guests, { shutdown: { command: ['shutdown'], rebootCommand: [], deadlineMs: 60_000, unmanaged: 'refuse' } }),
      running: [running('svc')],
      unmanaged,
      fallbackShutdown: fallback,
    });
    expect(plan.waves.map((w) => w.map((s) => s.guest))).toEqual([['svc']]);
    expect(plan).toMatchObject({ criticalPathMs: 30_000, withinDeadline: true, refused: unmanaged, left: [] });
  });
});
