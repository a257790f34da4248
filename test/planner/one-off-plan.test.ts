import { describe, expect, it } from 'vitest';
import { createOneOffPlan, UnknownGuestError } from '../../src/planner/one-off-plan.js';
import { desired, guest, running } from './fixtures.js';
import { summarize } from './summarize.js';

// svc ← cluster ← ivi, svc ← ivi; hud is independent.
const fleet = desired([
  guest('svc'),
  guest('cluster', { dependsOn: ['svc'] }),
  guest('ivi', { dependsOn: ['svc', 'cluster'] }),
  guest('hud'),
]);
const up = (...names: string[]) => names.map((n) => running(n));

describe('createOneOffPlan', () => {
  it('start brings up the dependencies that are not running first', () => {
    const plan = createOneOffPlan({ action: 'start', name: 'ivi', desired: fleet, running: up('svc') });
    expect(summarize(plan)).toEqual({ ivi: 'start operator', cluster: 'start not-running' });
    expect(plan.changes.find((c) => c.guest === 'ivi')?.startAfter).toEqual(['cluster']);
  });

  it('start of a running guest changes nothing', () => {
    expect(createOneOffPlan({ action: 'start', name: 'hud', desired: fleet, running: up('hud') }).changes).toEqual([]);
  });

  it('stop stops the running dependents first, and only them', () => {
    const plan = createOneOffPlan({ action: 'stop', name: 'svc', desired: fleet, running: up('svc', 'cluster', 'hud') });
    expect(summarize(plan)).toEqual({ svc: 'stop operator', cluster: 'stop dependency-stopping' });
    expect(plan.changes.find((c) => c.guest === 'svc')?.stopAfter).toEqual(['cluster']);
    expect(plan.waves).toEqual([['cluster'], ['svc']]);
  });

  it('restart restarts the running dependents around the guest', () => {
    const plan = createOneOffPlan({ action: 'restart', name: 'cluster', desired: fleet, running: up('svc', 'cluster', 'ivi', 'hud') });
    expect(summarize(plan)).toEqual({ cluster: 'restart operator', ivi: 'restart dependency-restarted' });
    const ivi = plan.changes.find((c) => c.guest === 'ivi');
    const cluster = plan.changes.find((c) => c.guest === 'cluster');
    expect(cluster).toMatchObject({ stopAfter: ['ivi'], startAfter: [] });
    expect(ivi).toMatchObject({ stopAfter: [], startAfter: ['cluster'] });
  });

  it('refuses a guest that no manifest names', () => {
    expect(() => createOneOffPlan({ action: 'stop', name: 'ghost', desired: fleet, running: [] })).toThrow(UnknownGuestError);
  });
});
