// A guest that was asked to stop and still runs is never shown as healthy.
import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/planner/create-plan.js';
import { describeGuests } from '../../src/planner/guest-status.js';
import { renderStatusText } from '../../src/render/status.js';
import { desired, guest, NOW, planInput, running } from '../planner/fixtures.js';

describe('a guest asked to stop that still runs', () => {
  it('is `stopping`, not ready, with what it means; `stuck` where the daemon saw its ladder run out', () => {
    const want = desired([guest('ignorer'), guest('fine'), guest('seen')]);
    const observed = [running('ignorer', { stopping: true, ready: true }), running('fine'), running('seen', { stopping: true })];
    const input = planInput({ desired: want, running: observed });
    const guests = describeGuests({
      desired: want,
      plan: createPlan(input),
      running: new Map(observed.map((g) => [g.name, g])),
      histories: new Map(),
      errors: new Map([['seen', { stuck: true, detail: 'stuck after power-button' }]]),
    }, NOW);
    const by = new Map(guests.map((g) => [g.name, g]));
    expect(by.get('ignorer')).toMatchObject({ phase: 'stopping', ready: false, stopRequested: true, pid: 1007 });
    expect(by.get('fine')).toMatchObject({ phase: 'running', ready: true, stopRequested: false });
    expect(by.get('seen')).toMatchObject({ phase: 'stuck', ready: false, stopRequested: true });
    const text = renderStatusText(guests, [], NOW);
    expect(text).toMatch(/^ignorer\s+running\s+stopping\s+no\s+1007\s/m);
    expect(text).toMatch(/^fine\s+running\s+running\s+yes\s/m);
    expect(text).toContain('Warnings:\n  ignorer: a stop was asked of qvm (pid 1007) and it still runs: either a stop is under way, or it ran out of steps and left it running (stuck: every step of the stop ladder timed out); `qvmctl stop ignorer` tries again, else act on the host');
  });
});
