import { describe, expect, it } from 'vitest';
import type { HostSpec } from '../../src/model/host-spec.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { desired, guest, NOW, planInput, running } from './fixtures.js';
import { summarize } from './summarize.js';

const keep = ['k1', 'k2', 'k3'].map((name) => guest(name));
const prune = (p: Partial<HostSpec['prune']>): HostSpec['prune'] => ({ enabled: true, graceMs: 60_000, maxFraction: 0.5, ...p });

function planRemoval(options: { prune: HostSpec['prune']; gone: string[]; firstSeen?: number; trusted?: boolean }) {
  const orphans = new Map(options.gone.map((name) => [name, options.firstSeen ?? NOW - 120_000]));
  return createPlan(planInput({
    desired: desired(keep, { prune: options.prune }),
    running: [...keep.map((g) => running(g.name)), ...options.gone.map((name) => running(name))],
    orphans,
    policy: { manifestsTrusted: options.trusted ?? true },
  }));
}

describe('prune', () => {
  const rows: [string, Parameters<typeof planRemoval>[0], string][] = [
    ['disabled', { prune: prune({ enabled: false }), gone: ['x'] }, 'hold prune-disabled'],
    ['grace not elapsed', { prune: prune({}), gone: ['x'], firstSeen: NOW - 1_000 }, 'hold prune-grace'],
    ['grace elapsed', { prune: prune({}), gone: ['x'] }, 'stop removed'],
    ['manifest dir empty or unreadable', { prune: prune({}), gone: ['x'], trusted: false }, 'hold prune-guard'],
    ['over the fraction', { prune: prune({ maxFraction: 0.2 }), gone: ['x'] }, 'hold prune-guard'],
  ];
  it.each(rows)('%s', (_label, options, expected) => {
    expect(summarize(planRemoval(options))).toEqual({ x: expected });
  });

  it('refuses all prunes at once when together they exceed the fraction', () => {
    // 2 of 5 running = 0.4 > 0.3
    expect(summarize(planRemoval({ prune: prune({ maxFraction: 0.3 }), gone: ['x', 'y'] }))).toEqual({ x: 'hold prune-guard', y: 'hold prune-guard' });
    expect(summarize(planRemoval({ prune: prune({ maxFraction: 0.4 }), gone: ['x', 'y'] }))).toEqual({ x: 'stop removed', y: 'stop removed' });
  });

  it('sets the grace end as the hold expiry', () => {
    const plan = planRemoval({ prune: prune({}), gone: ['x'], firstSeen: NOW - 1_000 });
    expect(plan.holds[0]?.until).toBe(NOW + 59_000);
    expect(plan.requeueAt).toBe(NOW + 59_000);
  });

  it('stops a guest that still names a pruned guest before the prune', () => {
    const plan = createPlan(planInput({
      desired: desired([guest('k1', { dependsOn: ['x'] }), guest('k2'), guest('k3')], { prune: prune({ maxFraction: 1 }) }),
      running: [running('x'), ...keep.map((g) => running(g.name))],
      orphans: new Map([['x', 0]]),
    }));
    expect(summarize(plan)).toEqual({ x: 'stop removed', k1: 'stop dependency-stopping' });
    expect(plan.changes.find((c) => c.guest === 'x')?.stopAfter).toEqual(['k1']);
  });

  it('still prunes while fenced', () => {
    const plan = createPlan(planInput({
      desired: desired(keep, { prune: prune({}) }),
      running: [running('x'), ...keep.map((g) => running(g.name))],
      orphans: new Map([['x', 0]]),
      policy: { fenced: true },
    }));
    expect(summarize(plan)).toEqual({ x: 'stop removed' });
  });
});
