// A qvm qvmctl did not start runs a guest's system name: the planner starts no second one (docs/planner.md).
import { describe, expect, it } from 'vitest';
import type { UnmanagedProcess } from '../../src/model/observed.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { desired, guest, planInput, running } from './fixtures.js';
import { summarize } from './summarize.js';

const byHand = (pid: number, system: string | undefined): UnmanagedProcess => ({ pid, processStart: '9', argv: ['qvm', '@/etc/x.qvmconf'], ...(system === undefined ? {} : { system }) });

describe('system in use', () => {
  const a = guest('a');
  const b = guest('b', { dependsOn: ['a'] });

  it('holds the start, names the lowest PID, and holds what needs the guest', () => {
    const plan = createPlan(planInput({ desired: desired([a, b]), unmanaged: [byHand(77, a.system), byHand(42, a.system)] }));
    expect(summarize(plan)).toEqual({ a: 'hold system-in-use', b: 'hold dependency-not-running' });
    expect(plan.holds.find((h) => h.guest === 'a')?.detail).toContain(`qvm pid 42, not started by qvmctl, runs system ${a.system}`);
  });

  it('holds a restart for a config change rather than stop a guest it could not start again', () => {
    const plan = createPlan(planInput({ desired: desired([a]), running: [running('a', { configHash: 'old' })], unmanaged: [byHand(42, a.system)] }));
    expect(summarize(plan)).toEqual({ a: 'hold system-in-use' });
  });

  it('ignores qvm whose system cannot be told, or is another', () => {
    const plan = createPlan(planInput({ desired: desired([a]), unmanaged: [byHand(42, undefined), byHand(43, 'other')] }));
    expect(summarize(plan)).toEqual({ a: 'start not-running' });
  });

  it('yields to the fence: a fenced start says fenced', () => {
    const plan = createPlan(planInput({ desired: desired([a]), unmanaged: [byHand(42, a.system)], policy: { fenced: true } }));
    expect(summarize(plan)).toEqual({ a: 'hold fenced' });
  });
});
