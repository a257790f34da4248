import { describe, expect, it } from 'vitest';
import { classifyExit, recordExit } from '../../src/planner/exit-policy.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { describeExit } from '../../src/render/exit-meaning.js';
import { describeGuests } from '../../src/planner/guest-status.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { formatDuration, renderStatusText } from '../../src/render/status.js';
import { desired, exit, guest, history, NOW, planInput, running } from '../planner/fixtures.js';

describe('describeGuests', () => {
  it('derives each phase from the observation, the history and the plan', () => {
    const want = desired([
      guest('up'),
      guest('new'),
      guest('off', { state: 'stopped' }),
      guest('crashy'),
      guest('broken'),
      guest('child', { dependsOn: ['broken'] }),
    ]);
    const histories = new Map([
      ['crashy', history('crashy', { failures: [NOW - 100], lastExit: exit('crashy', { code: 96, at: NOW - 100 }) })],
      ['broken', history('broken', { failed: true, lastExit: exit('broken', { code: 65, at: NOW - 5000 }) })],
    ]);
    const input = planInput({ desired: want, running: [running('up'), running('gone')], histories });
    const guests = describeGuests({ desired: want, plan: createPlan(input), running: new Map(input.running.map((g) => [g.name, g])), histories, errors: new Map() }, NOW);
    expect(Object.fromEntries(guests.map((g) => [g.name, `${g.desired}/${g.phase}`]))).toEqual({
      up: 'running/running',
      new: 'running/pending',
      off: 'stopped/stopped',
      crashy: 'running/backoff',
      broken: 'running/failed',
      child: 'running/held',
      gone: 'absent/orphaned',
    });
    const text = renderStatusText(guests, [], NOW);
    expect(text.split('\n')[0]).toMatch(/^GUEST\s+DESIRED\s+PHASE\s+READY\s+PID\s+UPTIME\s+RESTARTS\s+LAST EXIT$/);
    expect(text).toMatch(/^broken .* 65 \(configuration error\), 5s ago$/m);
    expect(text).toMatch(/Held:\n(.*\n)* {2}broken: config-error \(qvm rejected the configuration/);
  });
});

describe('describeExit', () => {
  it('names qvm exit codes, user-defined codes and signals', () => {
    const spec = guest('g', { restart: { ...guest('x').restart, exitCodes: { 40: 'reboot' } } });
    const words = (overrides: Parameters<typeof exit>[1]) => {
      const record = exit('g', overrides);
      return describeExit({ code: record.code, signal: record.signal, meaning: classifyExit(record, spec) });
    };
    expect(words({ code: 4 })).toBe('4 (watchdog)');
    expect(words({ code: 40 })).toBe('40 (reboot)');
    expect(words({ code: 41 })).toBe('41 (failure)');
    expect(words({ code: 0, requested: true })).toBe('0 (guest shut down or rebooted, after qvmctl asked it to stop)');
    expect(words({ code: null, signal: 'SIGSEGV' })).toBe('killed by SIGSEGV');
  });

  it('formats durations compactly', () => {
    expect([999, 61_000, 3_700_000, 90_000_000].map(formatDuration)).toEqual(['0s', '1m01s', '1h01m', '1d1h']);
  });
});

describe('a guest held by the start-rate limit', () => {
  it('shows in plan and status with the reason and when it may start again', () => {
    const spec = guest('loop');
    let h = recordExit(undefined, exit('loop', { pid: 1, code: 0, startedAt: NOW - 5_000, at: NOW - 4_900 }), spec);
    for (let i = 2; i <= 5; i += 1) h = recordExit(h, exit('loop', { pid: i, code: 0, startedAt: NOW - 5_000 + i * 100, at: NOW - 4_950 + i * 100 }), spec);
    const want = desired([spec]);
    const histories = new Map([['loop', h]]);
    const plan = createPlan(planInput({ desired: want, histories }));
    expect(renderPlanText(plan, { color: false })).toContain(
      `! hold loop (backoff: start limit reached: 5 starts within 60 s (restart.startLimit: burst 5, interval 60 s); guest shut down or rebooted (exit 0); next start in 55 s, until ${new Date(NOW + 55_000).toISOString()})`,
    );
    const guests = describeGuests({ desired: want, plan, running: new Map(), histories, errors: new Map() }, NOW);
    expect(guests[0]).toMatchObject({ phase: 'backoff', restarts: 5 });
    expect(renderStatusText(guests, [], NOW)).toMatch(/Held:\n {2}loop: backoff \(start limit reached: 5 starts within 60 s .*; next start in 55 s\)/);
  });
});
