// Issue case 7: a qvm started by hand with a managed guest's system name. No pass, apply or
// operator start launches a second qvm for that system; the plan holds the guest naming the PID.
import { describe, expect, it } from 'vitest';

import { previewPass, runPass } from '../../src/executor/reconcile-pass.js';
import { createOneOffPlan } from '../../src/planner/one-off-plan.js';
import { guestSpec, startQvmByHand, useHarness } from '../helpers/runtime-harness.js';
import { desiredFleet, testHost, withDeps } from '../helpers/shutdown-fleet.js';

const h = useHarness();

const svc = guestSpec('svc');
const hmi = withDeps(guestSpec('hmi'), ['svc']);

// By hand, from a configuration file of its own (in this simulated host's state directory), with svc's system name.
async function startByHand(): Promise<{ pid: number; ended: Promise<unknown> }> {
  const qvm = await startQvmByHand(h.stateDir, 'by-hand.qvmconf', svc.qvmconf);
  return { pid: qvm.pid, ended: qvm.exitCode() };
}

describe('one qvm per system name', () => {
  it('plans a hold naming the PID, and an apply starts neither the guest nor what needs it', async () => {
    const byHand = await startByHand();
    const desired = desiredFleet([svc, hmi], testHost(h.stateDir));
    const observed = await h.runtime.observe();
    expect(observed.unmanaged).toEqual([expect.objectContaining({ pid: byHand.pid, system: 'svc' })]);

    const preview = await previewPass({ desired, runtime: h.runtime, explicit: true });
    expect(preview.plan.changes).toEqual([]);
    expect(preview.plan.holds).toEqual([
      expect.objectContaining({ guest: 'hmi', reason: 'dependency-not-running' }),
      expect.objectContaining({ guest: 'svc', reason: 'system-in-use', detail: expect.stringContaining(`qvm pid ${byHand.pid}, not started by qvmctl, runs system svc`) as unknown }),
    ]);

    const pass = await runPass({ desired, runtime: h.runtime, explicit: true });
    expect(pass.execution.steps).toEqual([]);
    const starts = (await h.journal()).filter((l) => l.event === 'boot' || l.event === 'refused');
    expect(starts.filter((l) => l.pid !== byHand.pid)).toEqual([]);
    expect((await h.runtime.observe()).guests).toEqual([]);
  });

  it('refuses an operator start too, and the guest starts once that qvm is gone', async () => {
    const byHand = await startByHand();
    const desired = desiredFleet([svc, hmi], testHost(h.stateDir));
    const observed = await h.runtime.observe();
    const plan = createOneOffPlan({ action: 'start', name: 'hmi', desired, running: observed.guests, unmanaged: observed.unmanaged });
    expect(plan.changes).toEqual([]);
    expect(plan.holds.map((hold) => [hold.guest, hold.reason])).toEqual([['hmi', 'dependency-not-running'], ['svc', 'system-in-use']]);

    process.kill(byHand.pid, 'SIGTERM'); // its power button
    await byHand.ended;
    const pass = await runPass({ desired, runtime: h.runtime, explicit: true });
    expect(pass.execution.ok).toBe(true);
    expect((await h.runtime.observe()).guests.map((g) => g.name).sort()).toEqual(['hmi', 'svc']);
  });
});
