// The Linux reader against this machine's /proc and against odd `stat` lines.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { createLinuxProcessTable, parseCmdline, parseProcStat } from '../../src/runtime/proc-table/linux.js';

describe('Linux /proc parsing', () => {
  it('counts fields after the last parenthesis, so command names with spaces and parens parse', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    const stat = `4242 (qvm (odd) name) ${fields.join(' ')}`;
    expect(parseProcStat(stat)).toEqual({ comm: 'qvm (odd) name', state: 'Z', kernelThread: false, start: '22' });
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

  it('remembers a process only while its start time and command name stay: an exec is seen at the next scan', async () => {
    const table = createLinuxProcessTable();
    // A shell that waits for a line, then becomes `sleep` with a marker argument. The marker is a
    // number: GNU sleep adds up its arguments and ends at once on one that is not.
    const marker = `0.${process.pid}1`;
    const child = execa('sh', ['-c', `read line; exec sleep 300 ${marker}`], { stdin: 'pipe', reject: false });
    try {
      const pid = child.pid ?? 0;
      const shell = await waitFor(async () => (await table.get(pid))?.argv.includes('sh') === true ? true : undefined, { timeoutMs: 10_000 });
      expect(shell).toBe(true);
      expect((await table.list((argv) => argv.includes(marker))).map((e) => e.pid)).not.toContain(pid);
      child.stdin.write('go\n');
      // Same PID, same start time, a new program: listed with its new argv.
      const listed = await waitFor(async () => (await table.list((argv) => argv.includes(marker))).find((e) => e.pid === pid), { timeoutMs: 10_000 });
      expect(listed.argv).toEqual(['sleep', '300', marker]);
    } finally {
      child.kill('SIGTERM');
      await child;
    }
  });

  it('does not remember an empty command line: a process caught mid-exec is read again', async () => {
    // A /proc of one process, as it reads between an exec's new name and its new arguments.
    const root = await makeTempDir('fake-proc');
    try {
      await mkdir(join(root, '4242'));
      const fields = Array.from({ length: 50 }, () => '0');
      fields[0] = 'S';
      fields[19] = '777';
      await writeFile(join(root, '4242', 'stat'), `4242 (qvm) ${fields.join(' ')}`);
      await writeFile(join(root, '4242', 'cmdline'), '');
      const table = createLinuxProcessTable(root);
      expect(await table.list((argv) => argv[0] === 'qvm')).toEqual([]);
      await writeFile(join(root, '4242', 'cmdline'), 'qvm\0@/x.qvmconf\0');
      expect(await table.list((argv) => argv[0] === 'qvm')).toEqual([{ pid: 4242, start: '777', zombie: false, argv: ['qvm', '@/x.qvmconf'] }]);
      // Remembered now: the same process is not read again.
      await writeFile(join(root, '4242', 'cmdline'), 'changed\0');
      expect((await table.get(4242))?.argv).toEqual(['qvm', '@/x.qvmconf']);
    } finally {
      await removeDir(root);
    }
  });
});
