import { describe, expect, it } from 'vitest';
import { EVENTS_SHOWN, eventsPart, graphPart, shutdownPart, statusPart, type DaemonSummary } from '../../src/render/web-view.js';
import { desired, guest } from '../planner/fixtures.js';
import { statusOf } from './status-fixture.js';

const fallback = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 60_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 };
const summary = (guests: DaemonSummary['guests']): DaemonSummary => ({
  pid: 42, fenced: false, passes: 3, lastPass: { id: 3, endedAt: 5_000, result: 'ok', changes: 1 },
  manifests: { status: 'ok', source: 'git', commit: 'abc', usingLastGood: false, errors: 0 },
  host: { where: 'local', reachable: true }, guests,
});

describe('what the page is sent', () => {
  it('has each guest with null for what is not there, and the exit in words', () => {
    const part = statusPart(summary([
      statusOf('svc', { lastExit: { code: 0, signal: null, at: 900, meaning: 'guest-shutdown' } }),
      statusOf('ivi', { phase: 'backoff', pid: undefined, startedAt: undefined, uptimeMs: undefined, holds: [{ guest: 'ivi', reason: 'backoff', detail: 'until later', until: 9_000 }] }),
    ]), 7_000);
    expect(part.serverTime).toBe(7_000);
    expect(part.daemon).toEqual({ pid: 42, fenced: false, passes: 3, lastPass: { id: 3, endedAt: 5_000, result: 'ok', changes: 1 }, manifests: { status: 'ok', source: 'git', commit: 'abc', usingLastGood: false, errors: 0 }, host: { where: 'local', reachable: true, error: null } });
    expect(part.guests[0]?.lastExit).toEqual({ code: 0, signal: null, at: 900, text: '0 (guest shut down or rebooted)' });
    expect(part.guests[1]).toMatchObject({ name: 'ivi', pid: null, startedAt: null, lastExit: null, lastError: null, holds: [{ reason: 'backoff', detail: 'until later', until: 9_000 }] });
    // No uptime: it changes every second, so the page counts it from startedAt.
    expect(Object.keys(part.guests[0] ?? {})).not.toContain('uptimeMs');
  });

  it('lists the newest events first, at most EVENTS_SHOWN', () => {
    const events = Array.from({ length: EVENTS_SHOWN + 20 }, (_, i) => ({ time: i, guest: i % 2 === 0 ? undefined : 'svc', type: 'Normal', reason: 'Started', message: `#${i}`, count: 1 }));
    const part = eventsPart(events);
    expect(part.events).toHaveLength(EVENTS_SHOWN);
    expect(part.events[0]).toEqual({ time: EVENTS_SHOWN + 19, guest: 'svc', type: 'Normal', reason: 'Started', message: `#${EVENTS_SHOWN + 19}`, count: 1 });
    expect(part.events.at(-1)?.time).toBe(20);
    expect(part.events.find((e) => e.time === 20)?.guest).toBeNull();
  });

  it('draws the worst case of what runs now, and says when the record is not one', () => {
    const state = desired([guest('svc'), guest('ivi', { dependsOn: ['svc'] })]);
    const part = shutdownPart({ desired: state, guests: [statusOf('svc'), statusOf('ivi', { pid: undefined, phase: 'pending' })], record: { junk: true }, fallbackShutdown: fallback, passLockWaitMs: 1_000 });
    expect(part.last).toBeNull();
    expect(part.lastUnreadable).toBe(true);
    expect(part.budget?.bars.map((b) => b.guest)).toEqual(['svc']);
    expect(part.budget?.totalMs).toBe(1_000 + 20_000);
    expect(shutdownPart({ desired: undefined, guests: [], record: undefined, fallbackShutdown: fallback, passLockWaitMs: 1_000 })).toEqual({ last: null, lastUnreadable: false, budget: null });
  });

  it('lays out the graph of the desired state with the phases of the status', () => {
    const layout = graphPart(desired([guest('svc'), guest('ivi', { dependsOn: ['svc'] })]), [statusOf('svc', { phase: 'stuck' })]);
    expect(layout.guests.map((g) => `${g.name}:${g.phase}:${g.level}`)).toEqual(['ivi:unknown:2', 'svc:stuck:1']);
  });
});
