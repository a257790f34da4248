// The start-rate limit (like systemd's StartLimitBurst / StartLimitIntervalSec): a guest whose runs
// end on their own is started at most `burst` times within any `interval`, then held (docs/planner.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import type { ExitRecord, GuestHistory } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { recordExit } from '../../src/planner/exit-policy.js';
import { desired, exit, guest, NOW, planInput } from './fixtures.js';
import { summarize } from './summarize.js';

const spec = guest('a');

function planAt(s: GuestSpec, h: GuestHistory | undefined, now: number, explicit = false): Plan {
  return createPlan(planInput({ desired: desired([s]), histories: new Map(h === undefined ? [] : [['a', h]]), policy: { now, explicit } }));
}

/**
 * The daemon's loop for one guest, with a pure clock: plan; a start runs for `runMs` and ends with
 * the exit `end(i)`; a hold waits for its `until` (or `pollMs` without one). Returns the start times.
 */
function simulate(s: GuestSpec, options: { durationMs: number; runMs: (i: number) => number; end: (i: number) => Partial<ExitRecord>; pollMs?: number; maxStarts?: number }): number[] {
  const starts: number[] = [];
  let h: GuestHistory | undefined;
  let now = NOW;
  // Uncounted starts (stops qvmctl asked for) are not limited: a bound keeps such a run finite.
  while (now < NOW + options.durationMs && starts.length < (options.maxStarts ?? 10_000)) {
    const plan = planAt(s, h, now);
    if (plan.changes.some((c) => c.action === 'start')) {
      const i = starts.length;
      starts.push(now);
      const at = now + options.runMs(i);
      h = recordExit(h, exit('a', { pid: 10_000 + i, startedAt: now, at, ...options.end(i) }), s);
      now = at;
    } else {
      const until = plan.holds[0]?.until;
      now = until !== undefined && until > now ? until : now + (options.pollMs ?? 1_000);
    }
  }
  return starts;
}

/** The largest number of starts within any window of `intervalMs` (starts are in time order). */
function busiestWindow(starts: readonly number[], intervalMs: number): number {
  let busiest = 0;
  let first = 0;
  starts.forEach((t, last) => {
    while ((starts[first] ?? t) <= t - intervalMs) first += 1;
    busiest = Math.max(busiest, last - first + 1);
  });
  return busiest;
}

describe('start-rate limit', () => {
  it('stops a guest that exits 0 at once from restarting without end: 5 starts in 60 s by default', () => {
    // Before the limit: a start every 100 ms run, 300 in 30 s (the issue saw 36 in 30 s with real process start-up).
    const starts = simulate(spec, { durationMs: 30_000, runMs: () => 100, end: () => ({ code: 0 }) });
    expect(starts).toHaveLength(5);
    expect(simulate(spec, { durationMs: 5 * 60_000, runMs: () => 100, end: () => ({ code: 0 }) })).toHaveLength(25);
  });

  it('holds the next start with a reason that says why and until when', () => {
    let h: GuestHistory | undefined;
    for (let i = 0; i < 5; i += 1) h = recordExit(h, exit('a', { pid: i, code: 0, startedAt: NOW + i * 1_000, at: NOW + i * 1_000 + 200 }), spec);
    const plan = planAt(spec, h, NOW + 4_200);
    expect(plan.holds).toEqual([{
      guest: 'a',
      reason: 'backoff',
      detail: 'start limit reached: 5 starts within 60 s (restart.startLimit: burst 5, interval 60 s); guest shut down or rebooted (exit 0); next start in 55.8 s',
      until: NOW + 60_000,
    }]);
    expect(plan.requeueAt).toBe(NOW + 60_000);
    // Not lifted by an explicit apply (as backoff is not); lifted once the oldest start leaves the window.
    expect(summarize(planAt(spec, h, NOW + 59_999, true))).toEqual({ a: 'hold backoff' });
    expect(summarize(planAt(spec, h, NOW + 60_000))).toEqual({ a: 'start guest-exited' });
  });

  it.each([
    ['exit 0 (guest shut down or rebooted)', { code: 0 }, 5],
    ['a mapped reboot code, which skips backoff', { code: 40 }, 5],
    ['crashes with backoff, give-up raised out of the way', { code: 96 }, 5],
    ['stops qvmctl asked for: not counted', { code: 0, requested: true }, 300],
  ] as const)('counts %s', (_label, end, expected) => {
    const s = guest('a', { restart: { exitCodes: { 40: 'reboot' }, backoff: { initialMs: 100, maxMs: 100, resetAfterMs: 600_000 }, maxFailures: { count: 1_000, windowMs: 60_000 } } });
    expect(simulate(s, { durationMs: 30_000, runMs: () => 100, end: () => end })).toHaveLength(expected);
  });

  it('is configurable per guest, and off with interval 0', () => {
    const loose = guest('a', { restart: { startLimit: { burst: 10, intervalMs: 10_000 } } });
    expect(simulate(loose, { durationMs: 30_000, runMs: () => 100, end: () => ({ code: 0 }) })).toHaveLength(30);
    const off = guest('a', { restart: { startLimit: { burst: 1, intervalMs: 0 } } });
    expect(simulate(off, { durationMs: 3_000, runMs: () => 100, end: () => ({ code: 0 }) })).toHaveLength(30);
  });

  it('does not hold a guest whose runs last longer than the window', () => {
    expect(simulate(spec, { durationMs: 600_000, runMs: () => 61_000, end: () => ({ code: 0 }) })).toHaveLength(10);
  });

  it('ignores start times a stored history has in the wrong shape', () => {
    const h = { ...recordExit(undefined, exit('a', { code: 0 }), spec), recentStarts: ['x', null, NOW - 1_000, Number.NaN] } as unknown as GuestHistory;
    expect(summarize(planAt(spec, h, NOW))).toEqual({ a: 'start guest-exited' });
  });

  it('keeps the history fields it does not manage', () => {
    const h = recordExit({ ...recordExit(undefined, exit('a', { pid: 1 }), spec), foldedRuns: ['r1'] }, exit('a', { pid: 2, at: NOW }), spec);
    expect(h.foldedRuns).toEqual(['r1']);
  });

  it('never allows more than burst starts in any window, and holds no longer than it must (property)', () => {
    const endings = fc.constantFrom<Partial<ExitRecord>>({ code: 0 }, { code: 40 }, { code: 96 }, { code: null, signal: 'SIGSEGV' }, { code: 0, requested: true });
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 120 }).map((s) => s * 1_000),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 90_000 }), endings), { minLength: 1, maxLength: 20 }),
      (burst, intervalMs, runs) => {
        const s = guest('a', { restart: { exitCodes: { 40: 'reboot' }, backoff: { initialMs: 500, maxMs: 2_000, resetAfterMs: 600_000 }, maxFailures: { count: 1_000, windowMs: 60_000 }, startLimit: { burst, intervalMs } } });
        const run = (i: number) => runs[i % runs.length] ?? [1, { code: 0 }] as const;
        const starts = simulate(s, { durationMs: 10 * 60_000, runMs: (i) => run(i)[0], end: (i) => run(i)[1], pollMs: 250, maxStarts: 2_000 });
        const counted = starts.filter((_, i) => run(i)[1].requested !== true);
        expect(busiestWindow(counted, intervalMs)).toBeLessThanOrEqual(burst);
        // Liveness: between two starts the guest waited at most for the limit or a backoff.
        const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0) - run(i)[0]);
        expect(gaps.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(Math.max(intervalMs, 2_000) + 250);
      },
    ), { numRuns: 200 });
  });
});
