// The QNX reader against real `pidin` output, published by people who ran it
// (test/fixtures/pidin/real/README.md names each source and QNX version).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePidinArgs, parsePidinStates, parsePidinTimes } from '../../src/runtime/proc-table/qnx.js';

const REAL = join(import.meta.dirname, '../fixtures/pidin/real');
const read = (file: string): string => readFileSync(join(REAL, file), 'utf8');
const lines = (file: string): string[] => read(file).split('\n').filter((l) => l !== '');

describe('real pidin output', () => {
  it('times: the start time of procnto, started before the clock was set (its year, two spaces before it)', () => {
    const times = parsePidinTimes(read('times-icas3-host.txt'));
    expect([...times]).toEqual([[1, 'Jan 01 1970']]);
  });

  it('times: the columns qvmctl counts from the end are one word each', () => {
    const [header, row] = lines('times-icas3-host.txt');
    expect(header?.trim().split(/\s+/)).toEqual(['pid', 'name', 'sid', 'start', 'time', 'utime', 'stime', 'cutime', 'cstime']);
    expect(row?.trim().split(/\s+/).slice(-4)).toEqual(['31m06s', '0.959', '0.040', '0.000']);
  });

  it('arguments (pidin a): one line per process, arguments joined by single spaces', () => {
    const args = parsePidinArgs(read('arguments-qnx-qualcomm-csdn.txt'));
    expect([...args.keys()]).toEqual([1, 12291, 16386, 20486, 20487, 32776]);
    expect(args.get(1)).toEqual(['procnto-smp-instr', '-v', '-ae', '-bl', '-mLr~x', '-F', '4000', '-~s']);
    expect(args.get(12291)).toEqual(['slogger2', '-U', '15:15', '-V', '-P', '/var/pps', '-G', '5', '-D', 'SLOG2_PHYS', '-s', '258048']);
    expect(args.get(32776)).toEqual(['/bin/qcpe_qhee', '-U', '1']);
  });

  it('arguments (pidin -p PID arg): a 7-digit PID still right-aligned in 8 columns', () => {
    const text = read('arguments-one-process-cnblogs.txt');
    expect(text.split('\n')[1]?.slice(0, 8)).toBe(' 1130602');
    expect([...parsePidinArgs(text)]).toEqual([[1130602, ['m.samsung.home']]]);
  });

  it('thread views: one line per thread, grouped by PID (QNX 7.1 and 8.0)', () => {
    const q71 = parsePidinStates(read('default-qnx710-sa8295p.txt'));
    expect([...q71.keys()]).toEqual([1, 8194, 8195]);
    expect(q71.get(1)).toHaveLength(23);
    const q80 = parsePidinStates(read('default-qnx800-rpi4.txt'));
    expect([...q80.keys()]).toEqual([1, 12291, 24580, 32774, 36869, 57351, 241677]);
    expect(q80.get(36869)).toHaveLength(4);
  });

  it('names: the executable\'s path without its leading /, cut from the left to 18 characters by %N', () => {
    const names = (file: string, from: number, to: number): string[] => lines(file).slice(1).map((l) => l.slice(from, to).trim());
    expect(new Set(names('default-qnx710-sa8295p.txt', 13, 31))).toEqual(new Set(['/procnto-smp-instr', 'ifs/bin/slogger2', 'n/bmetrics_service']));
    expect(lines('long-name-uids-qnx660-subaru.txt').map((l) => l.split(' ')[0])).toEqual(['usr/sbin/sshd', 'usr/sbin/sshd', 'bin/sh']);
    expect(names('default-qnx800-rpi4.txt', 13, 41)).toContain('proc/boot/slogger2');
  });

  it('the PID column: right-aligned in 8 characters, in every sample', () => {
    for (const file of ['times-icas3-host.txt', 'default-qnx710-sa8295p.txt', 'default-qnx800-rpi4.txt', 'arguments-qnx-qualcomm-csdn.txt', 'arguments-one-process-cnblogs.txt']) {
      for (const line of lines(file).slice(1)) expect(line.slice(0, 9), `${file}: ${line}`).toMatch(/^ *[0-9]+ $/);
    }
  });
});
