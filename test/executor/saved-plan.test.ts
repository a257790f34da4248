// A saved plan is checked in full when read (schemas/files/saved-plan.schema.json): apply runs what
// it holds, so a plan file edited or cut short is refused with InvalidPlanFileError, never cast.
import { describe, expect, it } from 'vitest';
import { InvalidPlanFileError, parseSavedPlan, SAVED_PLAN_FORMAT, type SavedPlan } from '../../src/executor/saved-plan.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { desired, guest, planInput, running } from '../planner/fixtures.js';

const saved: SavedPlan = {
  format: SAVED_PLAN_FORMAT,
  createdAt: 1,
  manifests: 'm',
  observed: 'o',
  plan: {
    changes: [{ guest: 'a', action: 'restart', reason: 'config-changed', detail: 'config hash 1 → 2', after: [], stopAfter: [], startAfter: [], stopLadder: { steps: 'power button', powerButton: 'graceful' } }],
    holds: [{ guest: 'b', reason: 'backoff', detail: 'backing off', until: 5 }],
    waves: [['a'], ['a']],
    stopWaveCount: 1,
    requeueAt: undefined,
  },
};
const text = (value: unknown): string => JSON.stringify(value);

describe('parseSavedPlan', () => {
  it('reads back what plan --out wrote', () => {
    expect(parseSavedPlan(text(saved), 'p.json')).toEqual(JSON.parse(text(saved)));
  });

  it('reads back a plan the planner made, with changes and holds of every kind it has', () => {
    const plan = createPlan(planInput({
      desired: desired([guest('a', { configHash: 'hash-a-v2' }), guest('b', { dependsOn: ['a'] }), guest('c', { update: 'manual', configHash: 'hash-c-v2' })]),
      running: [running('a'), running('c'), running('gone')],
    }));
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(plan.holds.length).toBeGreaterThan(0);
    const file = text({ ...saved, plan });
    expect(parseSavedPlan(file, 'p.json').plan).toEqual(JSON.parse(text(plan)));
  });

  it('refuses what is not JSON, or not of this format, as before', () => {
    expect(() => parseSavedPlan('{', 'p.json')).toThrow(new InvalidPlanFileError('p.json is not a saved plan (not JSON)'));
    for (const value of [null, [], { ...saved, format: 'qvmctl-plan/v0' }, { plan: saved.plan }]) {
      expect(() => parseSavedPlan(text(value), 'p.json')).toThrow(new InvalidPlanFileError('p.json is not a saved plan of this qvmctl (expected format qvmctl-plan/v1)'));
    }
  });

  it('refuses a plan whose body does not hold, naming the field', () => {
    const bad = (plan: unknown): string => text({ ...saved, plan });
    const refuse = (file: string, problem: string): void => {
      expect(() => parseSavedPlan(file, 'p.json')).toThrow(new InvalidPlanFileError(`p.json is not a saved plan of this qvmctl (expected format qvmctl-plan/v1): ${problem}`));
    };
    refuse(bad({ ...saved.plan, changes: [{ ...saved.plan.changes[0], action: 'explode' }] }), 'plan.changes.0.action: must be equal to one of the allowed values');
    refuse(bad({ ...saved.plan, waves: undefined }), 'plan: missing waves');
    refuse(bad({ ...saved.plan, holds: [{ guest: 'b' }] }), 'plan.holds.0: missing reason');
    refuse(text({ ...saved, manifests: 3 }), 'manifests: must be string');
  });
});
