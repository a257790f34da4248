import { describe, expect, it } from 'vitest';
import { createShutdownPlan } from '../../src/planner/shutdown-plan.js';
import { budgetTimeline, parseShutdownRecord, recordTimeline } from '../../src/render/shutdown-timeline.js';
import { desired, guest, running } from '../planner/fixtures.js';

const fallback = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 60_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 };
const fleet = desired([
  guest('svc', { shutdown: { guestCommand: ['halt'], guestTimeoutMs: 3_000, powerButtonTimeoutMs: 2_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 } }),
  guest('cluster', { dependsOn: ['svc'], shutdown: { guestCommand: ['halt'], guestTimeoutMs: 1_000, powerButtonTimeoutMs: 1_000, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 2_000 } }),
  guest('telematics', { dependsOn: ['svc'], shutdown: { guestCommand: undefined, guestTimeoutMs: 9_000, powerButtonTimeoutMs: 1_500, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 } }),
], { shutdown: { command: ['shutdown'], rebootCommand: [], deadlineMs: 10_000, unmanaged: 'leave' } });

describe('budgetTimeline', () => {
  it('draws the dry run: each ladder step at its timeout, after the pass-lock wait and the dependents, the slowest chain marked', () => {
    const plan = createShutdownPlan({ desired: fleet, running: ['svc', 'cluster', 'telematics', 'old'].map((n) => running(n)), unmanaged: [], fallbackShutdown: fallback });
    const t = budgetTimeline({ plan, desired: fleet, fallbackShutdown: fallback, passLockWaitMs: 1_000 });
    const bars = Object.fromEntries(t.bars.map((b) => [b.guest, b]));
    expect(bars['cluster']?.segments).toEqual([
      { step: 'guest-command', fromMs: 1_000, toMs: 2_000 }, { step: 'power-button', fromMs: 2_000, toMs: 3_000 }, { step: 'power-cut', fromMs: 3_000, toMs: 5_000 },
    ]);
    expect(bars['telematics']?.segments).toEqual([{ step: 'power-button', fromMs: 1_000, toMs: 2_500 }]);
    expect(bars['old']).toMatchObject({ kind: 'removed', wave: 1, fromMs: 1_000, toMs: 61_000, critical: true });
    expect(bars['svc']).toMatchObject({ wave: 2, fromMs: 5_000, toMs: 10_000, critical: false });
    expect(t).toMatchObject({ kind: 'budget', totalMs: 61_000, deadlineMs: 10_000, withinDeadline: false, preludeMs: 1_000, criticalPath: ['old'] });
    expect(t.waves).toEqual([{ wave: 1, fromMs: 1_000, toMs: 61_000 }, { wave: 2, fromMs: 5_000, toMs: 10_000 }]);
    // The worst case is the dry run's: the pass-lock wait plus the planner's critical path.
    expect(t.totalMs).toBe(1_000 + plan.criticalPathMs);
  });

  it('draws no power-button bar for a guest whose button is not pressed (abrupt or ignored)', () => {
    const abrupt = { ...fleet, guests: fleet.guests.map((g) => (g.name === 'cluster' ? { ...g, shutdown: { ...g.shutdown, powerButton: 'abrupt' as const } } : g)) };
    const plan = createShutdownPlan({ desired: abrupt, running: ['cluster'].map((n) => running(n)), unmanaged: [], fallbackShutdown: fallback });
    const t = budgetTimeline({ plan, desired: abrupt, fallbackShutdown: fallback, passLockWaitMs: 1_000 });
    expect(t.bars[0]?.segments).toEqual([{ step: 'guest-command', fromMs: 1_000, toMs: 2_000 }, { step: 'power-cut', fromMs: 2_000, toMs: 4_000 }]);
    expect(t.totalMs).toBe(1_000 + plan.criticalPathMs);
  });
});

// A record as runShutdownSequence writes it (fields the timeline does not read left out).
const T0 = 1_700_000_000_000;
const record = {
  status: 'completed', ok: true, startedAt: T0, elapsedMs: 4_200, fence: { since: T0, reason: 'x' }, blockers: [],
  plan: {
    deadlineMs: 5_000,
    waves: [
      [{ guest: 'cluster', kind: 'managed', pid: 11, budgetMs: 4_000, after: [] }, { guest: 'telematics', kind: 'managed', pid: 12, budgetMs: 1_500, after: [] }],
      [{ guest: 'svc', kind: 'managed', pid: 10, budgetMs: 5_000, after: ['cluster', 'telematics'] }],
    ],
  },
  guests: [
    { guest: 'cluster', kind: 'managed', pid: 11, end: 'stopped', step: 'power-cut', elapsedMs: 2_100, startedAt: T0 + 50, steps: [{ step: 'guest-command', at: T0 + 50 }, { step: 'power-button', at: T0 + 1_050 }, { step: 'power-cut', at: T0 + 2_050 }], detail: 'stopped by the power cut (SIGQUIT), exit 3' },
    { guest: 'telematics', kind: 'managed', pid: 12, end: 'stopped', step: 'power-button', elapsedMs: 300, startedAt: T0 + 50, steps: [{ step: 'power-button', at: T0 + 52 }], detail: 'stopped by the power button (SIGTERM), exit 0' },
    { guest: 'svc', kind: 'managed', pid: 10, end: 'stopped', step: 'guest-command', elapsedMs: 1_900, startedAt: T0 + 2_170, steps: [{ step: 'guest-command', at: T0 + 2_171 }], detail: 'stopped by the guest shutdown command, exit 0' },
  ],
};

describe('recordTimeline', () => {
  it('draws the last shutdown from its record: bars split at the step times, the chain that ended last marked', () => {
    const parsed = parseShutdownRecord(JSON.parse(JSON.stringify(record)));
    expect(parsed).toBeDefined();
    if (parsed === undefined) return;
    const t = recordTimeline(parsed);
    const bars = Object.fromEntries(t.bars.map((b) => [b.guest, b]));
    expect(bars['cluster']?.segments).toEqual([
      { step: 'guest-command', fromMs: 50, toMs: 1_050 }, { step: 'power-button', fromMs: 1_050, toMs: 2_050 }, { step: 'power-cut', fromMs: 2_050, toMs: 2_150 },
    ]);
    expect(bars['telematics']).toMatchObject({ fromMs: 50, toMs: 350, critical: false, segments: [{ step: 'power-button', fromMs: 52, toMs: 350 }] });
    expect(bars['svc']).toMatchObject({ wave: 2, fromMs: 2_170, toMs: 4_070, critical: true, segments: [{ step: 'guest-command', fromMs: 2_171, toMs: 4_070 }] });
    expect(t).toMatchObject({ kind: 'last', startedAt: T0, totalMs: 4_200, deadlineMs: 5_000, withinDeadline: true, criticalPath: ['cluster', 'svc'], status: 'completed', timingsRecorded: true, preludeMs: 50 });
    expect(t.waves).toEqual([{ wave: 1, fromMs: 50, toMs: 2_150 }, { wave: 2, fromMs: 2_170, toMs: 4_070 }]);
  });

  it('infers the bars of a record written before stops kept their times, and says so', () => {
    const old = { ...record, startedAt: undefined, guests: record.guests.map(({ startedAt: _s, steps: _t, ...g }) => g) };
    const parsed = parseShutdownRecord(JSON.parse(JSON.stringify(old)));
    if (parsed === undefined) throw new Error('not parsed');
    const t = recordTimeline(parsed);
    expect(t.timingsRecorded).toBe(false);
    expect(t.bars.find((b) => b.guest === 'svc')).toMatchObject({ fromMs: 2_100, toMs: 4_000, segments: [{ step: 'guest-command', fromMs: 2_100, toMs: 4_000 }] });
  });

  it('leaves a blocked guest without a bar, and names the blockers', () => {
    const blocked = {
      ...record, status: 'blocked', blockers: ['cluster (pid 11) stuck after the power button (SIGTERM): still running', 'svc (pid 10) not stopped: waits for cluster'],
      guests: [
        { ...record.guests[0], end: 'stuck', step: 'power-button', steps: [{ step: 'guest-command', at: T0 + 50 }, { step: 'power-button', at: T0 + 1_050 }] },
        record.guests[1],
        { guest: 'svc', kind: 'managed', pid: 10, end: 'blocked', step: undefined, blockedBy: 'cluster', detail: 'not stopped: cluster depends on it and did not stop' },
      ],
    };
    const parsed = parseShutdownRecord(JSON.parse(JSON.stringify(blocked)));
    if (parsed === undefined) throw new Error('not parsed');
    const t = recordTimeline(parsed);
    expect(t.bars.find((b) => b.guest === 'svc')).toMatchObject({ end: 'blocked', fromMs: null, toMs: null, segments: [] });
    expect(t.bars.find((b) => b.guest === 'cluster')).toMatchObject({ end: 'stuck', critical: true, segments: [{ step: 'guest-command' }, { step: 'power-button', fromMs: 1_050, toMs: 2_150 }] });
    expect(t.blockers).toHaveLength(2);
  });

  it('reads nothing from what is not a record', () => {
    for (const bad of [null, 3, 'x', [], {}, { status: 'completed', plan: {}, guests: [] }, { status: 1, elapsedMs: 1, plan: { waves: [] }, guests: [] }]) {
      expect(parseShutdownRecord(bad)).toBeUndefined();
    }
    expect(parseShutdownRecord({ status: 'completed', elapsedMs: 5, plan: { waves: [[{ guest: 'a' }, 7]] }, guests: [{ guest: 'a', pid: 'x' }, { guest: 'b', pid: 2, steps: [{ step: 'rm -rf', at: 1 }] }] }))
      .toMatchObject({ plan: { waves: [[]], deadlineMs: 0 }, guests: [{ guest: 'b', pid: 2, steps: [] }] });
  });
});
