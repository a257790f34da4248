// The QNX reader against hand-written `pidin` output in pidin's layout (the real samples are in
// proc-table-qnx-real.test.ts, the simulator's stand-in end to end in proc-table-qnx-sim.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmbiguousProcessTableError, createQnxProcessTable, mergePidinViews, parsePidinArgs, parsePidinStates, parsePidinTimes } from '../../src/runtime/proc-table/qnx.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pidin');
const read = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');

describe('pidin parsing', () => {
  it('reads one argv per process, skipping the header', () => {
    const args = parsePidinArgs(read('args.txt'));
    expect(args.get(20487)).toEqual(['/usr/sbin/qvm', '@/var/qvmctl/guests/android/3f2a9c41.qvmconf']);
    expect(args.get(24584)).toEqual(['/usr/sbin/qvm', '@/var/qvmctl/guests/cluster/9c41aa07.qvmconf', 'set', 'fdt-dump-file', '/tmp/x']);
    expect(args.get(32778)).toEqual([]);
    expect(args.has(NaN)).toBe(false);
    expect([...args.keys()]).toHaveLength(10);
  });

  it('takes a line that does not start a process as more of the arguments before it (a newline in an argument)', () => {
    const text = '     pid Arguments\n    4099 sh -c echo one\necho two\n12 three\n   20487 /usr/sbin/qvm @/a.qvmconf\n';
    const args = parsePidinArgs(text);
    expect(args.get(4099)).toEqual(['sh', '-c', 'echo', 'one', 'echo', 'two', '12', 'three']);
    expect(args.get(20487)).toEqual(['/usr/sbin/qvm', '@/a.qvmconf']);
    expect([...args.keys()]).toEqual([4099, 20487]);
  });

  describe('with the live PIDs of the thread-state view, an argument that prints lines like other processes\' rows', () => {
    const header = '     pid Arguments\n';
    const live = new Set([4099, 20487, 24584]);

    it('hides no process: a row for a live PID begins its entry even after a higher PID', () => {
      // 4099's argument ends with a line for a PID above every other: without the live PIDs, the
      // real rows below it would read as more of its arguments.
      const text = `${header}    4099 sh -c x\n99999 /usr/sbin/qvm @/evil.qvmconf\n   20487 /usr/sbin/qvm @/a.qvmconf\n   24584 /usr/sbin/qvm @/b.qvmconf\n`;
      expect([...parsePidinArgs(text).keys()]).toEqual([4099, 99999]);
      const args = parsePidinArgs(text, live);
      expect([...args.keys()]).toEqual([4099, 20487, 24584]);
      expect(args.get(20487)).toEqual(['/usr/sbin/qvm', '@/a.qvmconf']);
    });

    it('invents no process: a line for a PID that does not live is the arguments before it, or a process that ended', () => {
      const text = `${header}    4099 sh -c x\n12 /usr/sbin/qvm @/evil.qvmconf\n   20487 /usr/sbin/qvm @/a.qvmconf\n   21000 gone\nmore of gone\n   24584 /usr/sbin/qvm @/b.qvmconf\n`;
      const args = parsePidinArgs(text, live);
      expect([...args.keys()]).toEqual([4099, 20487, 24584]);
      expect(args.get(4099)).toEqual(['sh', '-c', 'x', '12', '/usr/sbin/qvm', '@/evil.qvmconf']);
    });

    it('fails the look when a live PID has two rows that differ: which one is the process\'s cannot be told', () => {
      const text = `${header}    4099 sh -c x\n   20487 /usr/sbin/qvm @/evil.qvmconf\n   20487 /usr/sbin/qvm @/a.qvmconf\n   24584 /usr/sbin/qvm @/b.qvmconf\n`;
      expect(() => parsePidinArgs(text, live)).toThrow(AmbiguousProcessTableError);
      expect(() => parsePidinArgs(text, live)).toThrow(/lists process 20487 twice/);
      const times = '     pid name                   sid  start time   utime  stime cutime cstime\n    4099 bin/sh                   1 Mar 14 09:30  0.004  0.002  0.000  0.000\n   20487 usr/sbin/qvm             1 Mar 14 09:30  0.004  0.002  0.000  0.000\n   24584 usr/sbin/qvm             1 Mar 14 09:31  0.004  0.002  0.000  0.000\n';
      const states = '     pid STATE      \n    4099 RECEIVE    \n   20487 RECEIVE    \n   20487 RUNNING    \n   24584 RECEIVE    \n';
      expect(() => mergePidinViews(text, states, times)).toThrow(AmbiguousProcessTableError);
      const honest = `${header}    4099 sh -c x\n   20487 /usr/sbin/qvm @/a.qvmconf\n   24584 /usr/sbin/qvm @/b.qvmconf\n`;
      expect(mergePidinViews(honest, states, times).map((e) => e.pid)).toEqual([4099, 20487, 24584]);
    });
  });

  it('reads a thread state per line, blank for a zombie', () => {
    const states = parsePidinStates(read('states.txt'));
    expect(states.get(20487)).toEqual(['RECEIVE', 'RUNNING', 'NANOSLEEP']);
    expect(states.get(32778)).toEqual(['']);
    expect(states.has(NaN)).toBe(false);
  });

  it('reads start times as the three words before the four CPU times, with or without a sid', () => {
    const times = parsePidinTimes(read('times.txt'));
    expect(times.get(1)).toBe('Jan 01 1970');
    expect(times.get(2)).toBe('Jan 01 1970');
    expect(times.get(20487)).toBe('Mar 14 09:26');
    expect(times.get(28681)).toBe('Mar 13 17:02');
    expect(times.get(32778)).toBe('Mar 14 09:30');
    expect(times.size).toBe(10);
  });

  it('merges the views and marks a zombie: (Zombie) in times, or blank arguments and states, or all threads DEAD', () => {
    const entries = mergePidinViews(read('args.txt'), read('states.txt'), read('times.txt'));
    const byPid = new Map(entries.map((e) => [e.pid, e]));
    expect(byPid.get(20487)).toMatchObject({ start: 'Mar 14 09:26', zombie: false });
    expect(byPid.get(32778)?.zombie).toBe(true);
    const times = '     pid name                   sid  start time   utime  stime cutime cstime\n       7 bin/x                    1 Mar 14 09:30  0.004  0.002  0.000  0.000\n       8 bin/y                    1 Mar 14 09:30  0.004  0.002  0.000  0.000\n       9 bin/z                    1 Mar 14 09:30  0.004  0.002  0.000  0.000\n';
    const blank = mergePidinViews('     pid Arguments\n       7          \n       8 y\n       9 z\n', '     pid STATE      \n       7            \n       8            \n       9 DEAD       \n       9 DEAD       \n', times);
    expect(blank.map((e) => [e.pid, e.zombie])).toEqual([[7, true], [8, false], [9, true]]);
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

  it('gets nothing when pidin fails (it exits 1 for a PID no process has)', async () => {
    const failing = createQnxProcessTable(() => Promise.reject(new Error('pidin: couldn\'t open /proc/99999/as: No such file or directory')));
    expect(await failing.get(99999)).toBeUndefined();
    await expect(failing.list(() => true)).rejects.toThrow(/couldn't open/);
  });
});
