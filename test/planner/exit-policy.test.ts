import { describe, expect, it } from 'vitest';
import { classifyExit, computeBackoffMs, recordExit, START_FAILURE_LIMIT } from '../../src/planner/exit-policy.js';
import { exit, guest, NOW } from './fixtures.js';

describe('classifyExit', () => {
  const spec = guest('a', { restart: { exitCodes: { 40: 'reboot', 41: 'poweroff', 42: 'failure' } } });
  const rows: [string, Parameters<typeof exit>[1], string][] = [
    ['requested stop, even a power cut', { code: 3, requested: true }, 'requested'],
    ['0 not requested', { code: 0 }, 'guest-shutdown'],
    ['3 power cut', { code: 3 }, 'failure'],
    ['4 watchdog', { code: 4 }, 'failure'],
    ['5 unsupported', { code: 5 }, 'failure'],
    ['6 vdev error', { code: 6 }, 'failure'],
    ['7 unexpected', { code: 7 }, 'failure'],
    ['96 fatal after start', { code: 96 }, 'failure'],
    ['death by signal', { code: null, signal: 'SIGSEGV' }, 'failure'],
    ['64 fatal before start', { code: 64 }, 'start-failure'],
    ['65 config error', { code: 65 }, 'config-error'],
    ['32–63 mapped to reboot', { code: 40 }, 'reboot'],
    ['32–63 mapped to poweroff', { code: 41 }, 'poweroff'],
    ['32–63 mapped to failure', { code: 42 }, 'failure'],
    ['32–63 unmapped', { code: 50 }, 'failure'],
    ['other codes', { code: 1 }, 'failure'],
  ];
  it.each(rows)('%s', (_label, record, expected) => {
    expect(classifyExit(exit('a', record), spec)).toBe(expected);
  });

  it('counts an unmapped user code as failure without a spec', () => {
    expect(classifyExit(exit('a', { code: 40 }), undefined)).toBe('failure');
  });
});

describe('computeBackoffMs', () => {
  const spec = guest('a', { restart: { backoff: { initialMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 } } });
  it('doubles from the initial delay and caps at the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 100].map((n) => computeBackoffMs(spec, n))).toEqual([0, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});

describe('recordExit', () => {
  const spec = guest('a', { restart: { maxFailures: { count: 3, windowMs: 60_000 }, backoff: { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 30_000 } } });
  const crash = (at: number, ranMs = 1_000) => exit('a', { code: 96, at, startedAt: at - ranMs, pid: at });

  it('appends failures and gives up after count failures in the window', () => {
    let h = recordExit(undefined, crash(NOW), spec);
    h = recordExit(h, crash(NOW + 10_000), spec);
    expect(h).toMatchObject({ failures: [NOW, NOW + 10_000], failed: false, restarts: 2 });
    h = recordExit(h, crash(NOW + 20_000), spec);
    expect(h).toMatchObject({ failed: true, failedConfigHash: spec.configHash, restarts: 2 });
  });

  it('does not give up when failures are spread beyond the window', () => {
    let h = recordExit(undefined, crash(NOW), spec);
    h = recordExit(h, crash(NOW + 50_000), spec);
    h = recordExit(h, crash(NOW + 100_000), spec);
    expect(h.failed).toBe(false);
    expect(h.failures).toHaveLength(3);
  });

  it('resets the failure count after a stable run', () => {
    let h = recordExit(undefined, crash(NOW), spec);
    h = recordExit(h, crash(NOW + 10_000), spec);
    h = recordExit(h, crash(NOW + 100_000, 40_000), spec);
    expect(h.failures).toEqual([NOW + 100_000]);
  });

  it('is idempotent for the same record', () => {
    const record = crash(NOW);
    const once = recordExit(undefined, record, spec);
    expect(recordExit(once, record, spec)).toBe(once);
  });

  it('gives up at once on a configuration error', () => {
    expect(recordExit(undefined, exit('a', { code: 65 }), spec)).toMatchObject({ failed: true, failedConfigHash: spec.configHash, restarts: 0 });
  });

  it(`gives up after ${START_FAILURE_LIMIT} start failures in a row`, () => {
    const generous = guest('a', { restart: { maxFailures: { count: 100, windowMs: 60_000 } } });
    let h = recordExit(undefined, exit('a', { code: 64, pid: 1, at: NOW }), generous);
    for (let i = 2; i <= START_FAILURE_LIMIT; i += 1) {
      expect(h.failed).toBe(false);
      h = recordExit(h, exit('a', { code: 64, pid: i, at: NOW + i * 1_000 }), generous);
    }
    expect(h.failed).toBe(true);
  });

  it('clears failed when the config hash changed', () => {
    const failed = recordExit(undefined, exit('a', { code: 65 }), spec);
    const changed = guest('a', { configHash: 'hash-a-v2' });
    const after = recordExit(failed, exit('a', { code: 0, pid: 9, at: NOW + 5_000 }), changed);
    expect(after).toMatchObject({ failed: false, failedConfigHash: undefined });
  });

  it('does not count requested exits as failures or restarts', () => {
    const h = recordExit(undefined, exit('a', { code: 3, requested: true }), spec);
    expect(h).toMatchObject({ failures: [], failed: false, restarts: 0 });
  });
});
