// Exit-code policy rows as the planner applies them to a guest that should run but does not.
import { describe, expect, it } from 'vitest';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import type { GuestHistory } from '../../src/model/observed.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { recordExit } from '../../src/planner/exit-policy.js';
import { desired, exit, guest, history, NOW, planInput } from './fixtures.js';
import { summarize } from './summarize.js';

function planFor(spec: GuestSpec, h: GuestHistory | undefined, policy: { now?: number; explicit?: boolean } = {}) {
  const histories = new Map(h === undefined ? [] : [[spec.name, h]]);
  return createPlan(planInput({ desired: desired([spec]), histories, policy }));
}

describe('exit-code policy', () => {
  const mapped = { exitCodes: { 40: 'reboot', 41: 'poweroff', 42: 'failure' } } as const;
  const rows: [string, GuestSpec, Parameters<typeof exit>[1], string][] = [
    ['no history', guest('a'), undefined, 'start not-running'],
    ['requested stop', guest('a'), { code: 0, requested: true }, 'start not-running'],
    ['0, onGuestExit restart', guest('a'), { code: 0 }, 'start guest-exited'],
    ['0, onGuestExit stay-stopped', guest('a', { restart: { onGuestExit: 'stay-stopped' } }), { code: 0 }, 'hold stay-stopped'],
    ['3 power cut → backoff', guest('a'), { code: 3 }, 'hold backoff'],
    ['4 watchdog → backoff', guest('a'), { code: 4 }, 'hold backoff'],
    ['96 crash → backoff', guest('a'), { code: 96 }, 'hold backoff'],
    ['signal → backoff', guest('a'), { code: null, signal: 'SIGSEGV' }, 'hold backoff'],
    ['failure, onFailure stay-stopped', guest('a', { restart: { onFailure: 'stay-stopped' } }), { code: 96 }, 'hold stay-stopped'],
    ['64 → backoff', guest('a'), { code: 64 }, 'hold backoff'],
    ['65 → never', guest('a'), { code: 65 }, 'hold config-error'],
    ['40 mapped reboot → at once', guest('a', { restart: mapped }), { code: 40 }, 'start guest-exited'],
    ['41 mapped poweroff → stay stopped', guest('a', { restart: mapped }), { code: 41 }, 'hold stay-stopped'],
    ['42 mapped failure → backoff', guest('a', { restart: mapped }), { code: 42 }, 'hold backoff'],
  ];
  it.each(rows)('%s', (_label, spec, record, expected) => {
    const h = record === undefined ? undefined : recordExit(undefined, exit('a', { at: NOW - 10, startedAt: NOW - 20, ...record }), spec);
    expect(summarize(planFor(spec, h))).toEqual({ a: expected });
  });

  it('lifts stay-stopped on an explicit apply, but not a config error', () => {
    const stay = guest('a', { restart: { onGuestExit: 'stay-stopped' } });
    expect(summarize(planFor(stay, recordExit(undefined, exit('a', { code: 0 }), stay), { explicit: true }))).toEqual({ a: 'start not-running' });
    expect(summarize(planFor(stay, recordExit(undefined, exit('a', { code: 65 }), stay), { explicit: true }))).toEqual({ a: 'hold config-error' });
  });
});

describe('backoff', () => {
  const spec = guest('a', { restart: { backoff: { initialMs: 1_000, maxMs: 8_000, resetAfterMs: 60_000 }, maxFailures: { count: 100, windowMs: 600_000 } } });

  // Failures one after another, each after a 100 ms run; returns each hold's delay.
  function delays(count: number): number[] {
    let h: GuestHistory | undefined;
    const out: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const at = NOW + i * 100_000;
      h = recordExit(h, exit('a', { code: 96, pid: i, at, startedAt: at - 100 }), spec);
      const plan = planFor(spec, h, { now: at });
      out.push((plan.holds[0]?.until ?? 0) - at);
    }
    return out;
  }

  it('grows exponentially up to the cap', () => {
    expect(delays(6)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('starts once the backoff has passed and sets requeueAt to its end', () => {
    const h = recordExit(undefined, exit('a', { code: 96, at: NOW, startedAt: NOW - 100 }), spec);
    expect(planFor(spec, h, { now: NOW + 500 }).requeueAt).toBe(NOW + 1_000);
    expect(summarize(planFor(spec, h, { now: NOW + 1_000 }))).toEqual({ a: 'start crashed' });
  });

  it('resets after a stable run', () => {
    let h = recordExit(undefined, exit('a', { code: 96, pid: 1, at: NOW, startedAt: NOW - 100 }), spec);
    h = recordExit(h, exit('a', { code: 96, pid: 2, at: NOW + 5_000, startedAt: NOW + 4_000 }), spec);
    h = recordExit(h, exit('a', { code: 96, pid: 3, at: NOW + 200_000, startedAt: NOW + 100_000 }), spec);
    expect(planFor(spec, h, { now: NOW + 200_000 }).holds[0]?.until).toBe(NOW + 201_000);
  });
});

describe('give-up', () => {
  const spec = guest('a', { restart: { maxFailures: { count: 2, windowMs: 60_000 } } });
  const failedHistory = (() => {
    let h = recordExit(undefined, exit('a', { code: 96, pid: 1, at: NOW - 5_000, startedAt: NOW - 6_000 }), spec);
    h = recordExit(h, exit('a', { code: 96, pid: 2, at: NOW - 1_000, startedAt: NOW - 2_000 }), spec);
    return h;
  })();

  it('holds a guest that gave up, even on explicit apply and after the backoff', () => {
    expect(failedHistory.failed).toBe(true);
    expect(summarize(planFor(spec, failedHistory, { now: NOW + 3_600_000, explicit: true }))).toEqual({ a: 'hold failed' });
  });

  it('clears when the manifest changes the config hash', () => {
    const plan = planFor(guest('a', { configHash: 'v2', restart: spec.restart }), failedHistory);
    expect(summarize(plan)).toEqual({ a: 'start not-running' });
  });

  it('treats a failed flag without a hash as still failed', () => {
    expect(summarize(planFor(spec, history('a', { failed: true })))).toEqual({ a: 'hold failed' });
  });
});
