import { describe, expect, it } from 'vitest';
import { createShutdownPlan } from '../../src/planner/shutdown-plan.js';
import { renderShutdownPlanText } from '../../src/render/shutdown-plan-text.js';
import { desired, guest, running } from '../planner/fixtures.js';

const fallback = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 30_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 };
const hostShutdown = { command: ['shutdown'], rebootCommand: [], deadlineMs: 60_000, unmanaged: 'leave' as const };

describe('renderShutdownPlanText', () => {
  it('shows waves, budgets and the critical path against the deadline', () => {
    const plan = createShutdownPlan({
      desired: desired([guest('svc'), guest('ivi', { dependsOn: ['svc'] })], { shutdown: hostShutdown }),
      running: [running('svc'), running('ivi'), running('old')],
      unmanaged: [{ pid: 77, processStart: '1', argv: ['qvm'] }],
      fallbackShutdown: fallback,
    });
    expect(renderShutdownPlanText(plan)).toBe([
      'wave 1: ivi (20 s), old (30 s, removed)',
      'wave 2: svc (20 s)',
      'left running: unmanaged qvm pid 77',
      'Worst case 40 s (ivi → svc): within the deadline of 60 s.',
      '',
    ].join('\n'));
  });

  it('says when nothing runs', () => {
    const plan = createShutdownPlan({ desired: desired([], { shutdown: hostShutdown }), running: [], unmanaged: [], fallbackShutdown: fallback });
    expect(renderShutdownPlanText(plan)).toBe('No qvm process to stop.\nWorst case 0 s: within the deadline of 60 s.\n');
  });
});
