// The Linux reader against this machine's /proc and against odd `stat` lines.
import { describe, expect, it } from 'vitest';
import { createLinuxProcessTable, parseCmdline, parseProcStat } from '../../src/runtime/proc-table/linux.js';

describe('Linux /proc parsing', () => {
  it('counts fields after the last parenthesis, so command names with spaces and parens parse', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    const stat = `4242 (qvm (odd) name) ${fields.join(' ')}`;
    expect(parseProcStat(stat)).toEqual({ state: 'Z', start: '22' });
  });

  it('splits cmdline on NUL', () => {
    expect(parseCmdline('/bin/qvm\0@/x.qvmconf\0')).toEqual(['/bin/qvm', '@/x.qvmconf']);
    expect(parseCmdline('')).toEqual([]);
  });

  it('reads this process with a stable start time', async () => {
    const table = createLinuxProcessTable();
    const first = await table.get(process.pid);
    const second = await table.get(process.pid);
    expect(first?.zombie).toBe(false);
    expect(first?.start).toMatch(/^[0-9]+$/);
    expect(second?.start).toBe(first?.start);
    expect(first?.argv[0]).toBe(process.execPath);
    const listed = await table.list((argv) => argv[0] === process.execPath);
    expect(listed.map((e) => e.pid)).toContain(process.pid);
  });

  it('reads the environment a process started with, and its working directory', async () => {
    const table = createLinuxProcessTable();
    const own = await table.environment?.(process.pid);
    expect(own?.cwd).toBe(process.cwd());
    // /proc/PID/environ is the environment at exec: what a launcher gave the process.
    expect(own?.variables.get('PATH')).toBe(process.env.PATH);
    expect(await table.environment?.(2 ** 22 + 1)).toBeUndefined();
  });
});
