import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/planner/create-plan.js';
import { describeExit } from '../../src/render/exit-meaning.js';
import { describeStatus, formatDuration, renderStatusText } from '../../src/render/status.js';
import { desired, exit, guest, history, NOW, planInput, running } from '../planner/fixtures.js';

describe('describeStatus', () => {
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
    const status = describeStatus({ desired: want, running: input.running, unmanaged: [], histories, plan: createPlan(input) });
    const phases = Object.fromEntries(status.guests.map((g) => [g.guest, `${g.desired}/${g.phase}`]));
    expect(phases).toEqual({
      up: 'running/running',
      new: 'running/pending',
      off: 'stopped/stopped',
      crashy: 'running/backoff',
      broken: 'running/failed',
      child: 'running/waiting',
      gone: 'removed/running',
    });
    expect(status.guests.find((g) => g.guest === 'broken')?.lastExit).toBe('65 (configuration error)');
    const text = renderStatusText(status, NOW);
    expect(text.split('\n')[0]).toMatch(/^GUEST\s+DESIRED\s+PHASE\s+PID\s+UPTIME\s+RESTARTS\s+LAST EXIT$/);
    expect(text).toMatch(/Held:\n {2}broken: config-error \(qvm rejected the configuration/);
  });
});

describe('describeExit', () => {
  it('names qvm exit codes, user-defined codes and signals', () => {
    const spec = guest('g', { restart: { ...guest('x').restart, exitCodes: { 40: 'reboot' } } });
    expect(describeExit(exit('g', { code: 4 }), spec)).toBe('4 (watchdog)');
    expect(describeExit(exit('g', { code: 40 }), spec)).toBe('40 (reboot)');
    expect(describeExit(exit('g', { code: 41 }), spec)).toBe('41 (user-defined)');
    expect(describeExit(exit('g', { code: 0, requested: true }), spec)).toBe('0 (guest shut down or rebooted, requested by qvmctl)');
    expect(describeExit(exit('g', { code: null, signal: 'SIGSEGV' }), spec)).toBe('killed by SIGSEGV');
  });

  it('formats durations compactly', () => {
    expect([999, 61_000, 3_700_000, 90_000_000].map(formatDuration)).toEqual(['0s', '1m01s', '1h01m', '1d1h']);
  });
});
