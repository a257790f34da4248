// Executing plans against the simulator: failures stop what depends on them and nothing else;
// stop ladders that run out leave the guest running and block what it depends on.
import { HOST_DEFAULTS } from '../../src/manifest/defaults.js';
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import { fallbackShutdown } from '../../src/planner/shutdown-plan.js';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import { createOneOffPlan } from '../../src/planner/one-off-plan.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { guestSpec, journalViolations, signalsIn, useHarness } from '../helpers/runtime-harness.js';
import { desired } from '../planner/fixtures.js';

const harness = useHarness();

const withDeps = (spec: GuestSpec, dependsOn: readonly string[]): GuestSpec => ({ ...spec, dependsOn });

async function apply(guests: readonly GuestSpec[]) {
  const observation = await harness.runtime.observe();
  const plan = createPlan({
    desired: desired(guests),
    running: observation.guests,
    histories: new Map(),
    orphans: new Map(),
    policy: { now: Date.now(), explicit: true, fenced: false, manifestsTrusted: true },
  });
  return executePlan({ plan, guests, running: observation.guests, runtime: harness.runtime, concurrency: 4, fallbackShutdown: fallbackShutdown(HOST_DEFAULTS) });
}

describe('executePlan on the simulator', () => {
  it('a guest that never gets ready blocks its dependents; independent guests still start', async () => {
    const base = guestSpec('base', { knobs: 'boot-ms=50 shutdown-ms=50', readiness: { kind: 'log', pattern: 'never printed', timeoutMs: 800 } });
    const guests = [base, withDeps(guestSpec('top'), ['base']), guestSpec('alone')];
    const result = await apply(guests);
    const status = Object.fromEntries(result.steps.map((s) => [`${s.kind} ${s.guest}`, s.status]));
    expect(status).toEqual({ 'start base': 'failed', 'start top': 'skipped', 'start alone': 'done' });
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual(['base']);
    expect((await harness.journal()).some((l) => l.system === 'top')).toBe(false);
  });

  it('a stuck dependent is named, stays running, and its dependency is not stopped', async () => {
    const lower = guestSpec('lower');
    const upper = withDeps(guestSpec('upper', {
      knobs: 'boot-ms=50 shutdown-ms=50 ignore-guest-shutdown ignore-power-button',
      shutdown: { guestTimeoutMs: 300, powerButtonTimeoutMs: 300, powerButton: 'graceful' as const, allowPowerCut: false },
    }), ['lower']);
    expect((await apply([lower, upper])).ok).toBe(true);
    const observation = await harness.runtime.observe();
    const plan = createOneOffPlan({ action: 'stop', name: 'lower', desired: desired([lower, upper]), running: observation.guests });
    const result = await executePlan({ plan, guests: [lower, upper], running: observation.guests, runtime: harness.runtime, concurrency: 4, fallbackShutdown: fallbackShutdown(HOST_DEFAULTS) });
    expect(result.stuck).toEqual(['upper']);
    expect(result.steps.find((s) => s.guest === 'lower')?.status).toBe('skipped');
    const after = await harness.runtime.observe();
    expect(after.guests.map((g) => g.name).sort()).toEqual(['lower', 'upper']);
    const journal = await harness.journal();
    expect(signalsIn(journal, 'upper')).toEqual(['SIGTERM']);
    expect(signalsIn(journal, 'lower')).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });
});
