// The QNX reader against recorded-style `pidin` output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQnxProcessTable, mergePidinViews, parsePidinArgs, parsePidinTimes } from '../../src/runtime/proc-table/qnx.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pidin');
const read = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');

describe('pidin parsing', () => {
  it('reads one argv per process from per-thread lines, skipping the header', () => {
    const args = parsePidinArgs(read('args.txt'));
    expect(args.get(20487)).toEqual(['/usr/sbin/qvm', '@/var/qvmctl/guests/android/3f2a9c41.qvmconf']);
    expect(args.get(24584)).toEqual(['/usr/sbin/qvm', '@/var/qvmctl/guests/cluster/9c41aa07.qvmconf', 'set', 'fdt-dump-file', '/tmp/x']);
    expect(args.has(NaN)).toBe(false);
    expect([...args.keys()]).toHaveLength(10);
  });

  it('reads start times as the three words before the four CPU times', () => {
    const times = parsePidinTimes(read('times.txt'));
    expect(times.get(1)).toBe('Jan 01 1970');
    expect(times.get(20487)).toBe('Mar 14 09:26');
    expect(times.get(28681)).toBe('Mar 13 17:02');
  });

  it('merges the views and marks a process whose threads are all dead as a zombie', () => {
    const entries = mergePidinViews(read('args.txt'), read('states.txt'), read('times.txt'));
    const byPid = new Map(entries.map((e) => [e.pid, e]));
    expect(byPid.get(20487)).toMatchObject({ start: 'Mar 14 09:26', zombie: false });
    expect(byPid.get(32778)?.zombie).toBe(true);
  });
});

describe('QNX process table', () => {
  const table = createQnxProcessTable((args) => {
    if (args.includes('times')) return Promise.resolve(read('times.txt'));
    return Promise.resolve(args.includes('%a %J') ? read('states.txt') : read('args.txt'));
  });

  it('lists live qvm processes only', async () => {
    const qvm = await table.list((argv) => argv[0] === '/usr/sbin/qvm');
    expect(qvm.map((e) => e.pid).sort()).toEqual([20487, 24584, 28681]);
  });

  it('gets one process, including a zombie', async () => {
    expect((await table.get(32778))?.zombie).toBe(true);
    expect(await table.get(99999)).toBeUndefined();
  });
});
