import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/planner/create-plan.js';
import { DependencyCycleError } from '../../src/planner/graph.js';
import { desired, guest, history, planInput, running } from './fixtures.js';
import { summarize } from './summarize.js';

// svc ← cluster ← ivi, svc ← ivi; hud is independent.
const fleet = [
  guest('svc'),
  guest('cluster', { dependsOn: ['svc'] }),
  guest('ivi', { dependsOn: ['svc', 'cluster'] }),
  guest('hud'),
];
const all = () => fleet.map((g) => running(g.name));

describe('createPlan: starts', () => {
  it('starts a fresh DAG in dependency order', () => {
    const plan = createPlan(planInput({ desired: desired(fleet) }));
    expect(summarize(plan)).toEqual({ svc: 'start not-running', cluster: 'start not-running', ivi: 'start not-running', hud: 'start not-running' });
    const ivi = plan.changes.find((c) => c.guest === 'ivi');
    expect(ivi).toMatchObject({ after: ['cluster', 'svc'], startAfter: ['cluster', 'svc'], stopAfter: [] });
    expect(plan.waves).toEqual([['hud', 'svc'], ['cluster'], ['ivi']]);
    expect(plan.stopWaveCount).toBe(0);
  });

  it('waits only for dependencies that are being started', () => {
    const plan = createPlan(planInput({ desired: desired(fleet), running: [running('svc')] }));
    expect(plan.changes.find((c) => c.guest === 'cluster')?.after).toEqual([]);
    expect(plan.changes.find((c) => c.guest === 'ivi')?.after).toEqual(['cluster']);
  });

  it('holds a guest whose dependency will not run', () => {
    const guests = [guest('svc', { state: 'stopped' }), guest('cluster', { dependsOn: ['svc'] }), guest('x', { dependsOn: ['missing'] })];
    expect(summarize(createPlan(planInput({ desired: desired(guests) })))).toEqual({
      cluster: 'hold dependency-not-running',
      x: 'hold dependency-not-running',
    });
  });

  it('does nothing when the host matches', () => {
    const plan = createPlan(planInput({ desired: desired(fleet), running: all() }));
    expect(plan).toEqual({ changes: [], holds: [], waves: [], stopWaveCount: 0, requeueAt: undefined });
  });

  it('refuses a dependency cycle', () => {
    const cyclic = [guest('a', { dependsOn: ['b'] }), guest('b', { dependsOn: ['a'] })];
    expect(() => createPlan(planInput({ desired: desired(cyclic) }))).toThrow(DependencyCycleError);
  });

  it('plans for a process as it is, whatever a stop mark says (a pass holds the pass lock)', () => {
    const marked = createPlan(planInput({ desired: desired([guest('a', { state: 'stopped' }), guest('b', { dependsOn: ['a'] })]), running: [running('a', { stopping: true })] }));
    const unmarked = createPlan(planInput({ desired: desired([guest('a', { state: 'stopped' }), guest('b', { dependsOn: ['a'] })]), running: [running('a')] }));
    expect(marked).toEqual(unmarked);
    expect(summarize(marked)).toEqual({ a: 'stop desired-stopped', b: 'hold dependency-not-running' });
  });
});

describe('createPlan: config changes', () => {
  it('restarts a changed guest and cascades to its running dependents', () => {
    const changed = fleet.map((g) => (g.name === 'svc' ? guest('svc', { configHash: 'abcdef123' }) : g));
    const plan = createPlan(planInput({ desired: desired(changed), running: all() }));
    expect(summarize(plan)).toEqual({ svc: 'restart config-changed', cluster: 'restart dependency-restarted', ivi: 'restart dependency-restarted' });
    const byGuest = new Map(plan.changes.map((c) => [c.guest, c]));
    expect(byGuest.get('svc')).toMatchObject({ stopAfter: ['cluster', 'ivi'], startAfter: [], detail: 'hash hash-s → abcdef' });
    expect(byGuest.get('cluster')).toMatchObject({ stopAfter: ['ivi'], startAfter: ['svc'] });
    expect(byGuest.get('ivi')).toMatchObject({ stopAfter: [], startAfter: ['cluster', 'svc'] });
    expect(plan.waves).toEqual([['ivi'], ['cluster'], ['svc'], ['svc'], ['cluster'], ['ivi']]);
    expect(plan.stopWaveCount).toBe(3);
  });

  it('restarts only the changed leaf', () => {
    const changed = fleet.map((g) => (g.name === 'ivi' ? guest('ivi', { dependsOn: ['svc', 'cluster'], configHash: 'v2' }) : g));
    expect(summarize(createPlan(planInput({ desired: desired(changed), running: all() })))).toEqual({ ivi: 'restart config-changed' });
  });

  it('holds a manual update unless the apply is explicit', () => {
    const spec = [guest('a', { update: 'manual', configHash: 'v2' })];
    expect(summarize(createPlan(planInput({ desired: desired(spec), running: [running('a')] })))).toEqual({ a: 'hold update-manual' });
    expect(summarize(createPlan(planInput({ desired: desired(spec), running: [running('a')], policy: { explicit: true } })))).toEqual({ a: 'restart config-changed' });
  });

  it('holds a window update until the next window and restarts inside it', () => {
    const spec = [guest('a', { update: 'window', configHash: 'v2' })];
    // NOW is Monday 12:00 UTC; the window is Monday 13:00–14:00 UTC.
    const windows = [{ days: ['mon' as const], startMinute: 13 * 60, durationMs: 3_600_000, timeZone: 'UTC' }];
    const before = createPlan(planInput({ desired: desired(spec, { maintenanceWindows: windows }), running: [running('a')] }));
    expect(summarize(before)).toEqual({ a: 'hold update-window' });
    const opens = Date.UTC(2025, 0, 6, 13, 0);
    expect(before.holds[0]?.until).toBe(opens);
    expect(before.requeueAt).toBe(opens);
    const inside = createPlan(planInput({ desired: desired(spec, { maintenanceWindows: windows }), running: [running('a')], policy: { now: opens + 60_000 } }));
    expect(summarize(inside)).toEqual({ a: 'restart config-changed' });
  });

  it('holds a window update forever when no window is configured', () => {
    const plan = createPlan(planInput({ desired: desired([guest('a', { update: 'window', configHash: 'v2' })]), running: [running('a')] }));
    expect(plan.holds).toMatchObject([{ guest: 'a', reason: 'update-window', until: undefined }]);
  });

  it('stops instead of restarting a dependent that could not start again', () => {
    const guests = [guest('a', { configHash: 'v2' }), guest('b'), guest('c', { dependsOn: ['a', 'b'] })];
    const histories = new Map([['b', history('b', { failed: true, failedConfigHash: 'hash-b-v1' })]]);
    const plan = createPlan(planInput({ desired: desired(guests), running: [running('a'), running('c')], histories }));
    expect(summarize(plan)).toEqual({ a: 'restart config-changed', b: 'hold failed', c: 'stop dependency-restarted' });
    expect(plan.changes.find((c) => c.guest === 'a')?.stopAfter).toEqual(['c']);
  });

  it('holds a restart whose dependency is not running', () => {
    const guests = [guest('a', { state: 'stopped' }), guest('c', { dependsOn: ['a'], configHash: 'v2' })];
    expect(summarize(createPlan(planInput({ desired: desired(guests), running: [running('c')] })))).toEqual({ c: 'hold dependency-not-running' });
  });
});

describe('createPlan: stops', () => {
  it('stops a guest desired stopped after its running dependents', () => {
    const stopped = fleet.map((g) => (g.name === 'svc' ? guest('svc', { state: 'stopped' }) : g));
    const plan = createPlan(planInput({ desired: desired(stopped), running: all() }));
    expect(summarize(plan)).toEqual({ svc: 'stop desired-stopped', cluster: 'stop dependency-stopping', ivi: 'stop dependency-stopping' });
    expect(plan.changes.find((c) => c.guest === 'svc')?.stopAfter).toEqual(['cluster', 'ivi']);
    expect(plan.waves).toEqual([['ivi'], ['cluster'], ['svc']]);
  });

  it('stops wins over a restart of a dependency', () => {
    const guests = [guest('a', { configHash: 'v2' }), guest('b', { dependsOn: ['a'], state: 'stopped' })];
    const plan = createPlan(planInput({ desired: desired(guests), running: [running('a'), running('b')] }));
    expect(summarize(plan)).toEqual({ a: 'restart config-changed', b: 'stop desired-stopped' });
    expect(plan.changes.find((c) => c.guest === 'a')?.stopAfter).toEqual(['b']);
  });
});

describe('createPlan: fenced', () => {
  it('refuses starts and restarts but still stops', () => {
    const guests = [guest('a'), guest('b', { configHash: 'v2' }), guest('c', { state: 'stopped' })];
    const plan = createPlan(planInput({ desired: desired(guests), running: [running('b'), running('c')], policy: { fenced: true } }));
    expect(summarize(plan)).toEqual({ a: 'hold fenced', b: 'hold fenced', c: 'stop desired-stopped' });
  });
});

describe('createPlan: determinism', () => {
  it('gives the same plan whatever the input order', () => {
    const changed = fleet.map((g) => (g.name === 'svc' ? guest('svc', { configHash: 'v2' }) : g));
    const a = createPlan(planInput({ desired: desired(changed), running: all() }));
    const b = createPlan(planInput({ desired: desired([...changed].reverse()), running: all().reverse() }));
    expect(b).toEqual(a);
  });
});
