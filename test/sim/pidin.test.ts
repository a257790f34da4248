// The simulator's pidin stand-in against this machine's /proc, read back with qvmctl's own pidin parser.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCmdline } from '../../src/runtime/proc-table/linux.js';
import { mergePidinViews } from '../../src/runtime/proc-table/qnx.js';
import type { ProcessEntry } from '../../src/runtime/proc-table/types.js';
import { SIM_ARGV } from '../helpers/sim-guest.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const execFileAsync = promisify(execFile);

async function pidin(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
  const [node = process.execPath, ...rest] = SIM_ARGV;
  const { stdout } = await execFileAsync(node, [...rest, 'pidin', ...args], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
  return stdout;
}

/** What qvmctl's QNX process table sees: the three views, merged. */
async function snapshot(pid?: number): Promise<ProcessEntry[]> {
  const only = pid === undefined ? [] : ['-p', String(pid)];
  const [args, states, times] = await Promise.all([pidin([...only, '-F', '%a %A']), pidin([...only, '-F', '%a %J']), pidin([...only, 'times'])]);
  return mergePidinViews(args, states, times);
}

// pidin joins arguments with spaces; the parser splits on whitespace.
const ownArgv = parseCmdline(readFileSync('/proc/self/cmdline', 'utf8')).join(' ').trim().split(/\s+/);

describe('qvm-sim pidin', () => {
  it('lists this process with its argv and a start time that does not change', async () => {
    const first = (await snapshot()).find((e) => e.pid === process.pid);
    expect(first).toMatchObject({ pid: process.pid, zombie: false, argv: ownArgv });
    expect(first?.start).toMatch(/^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{2}$/);
    const again = (await snapshot(process.pid)).find((e) => e.pid === process.pid);
    expect(again?.start).toBe(first?.start);
  });

  it('prints pidin\'s headers, one argument line per process and one state line per thread', async () => {
    const args = (await pidin(['-p', String(process.pid), '-F', '%a %A'])).trimEnd().split('\n');
    expect(args).toEqual(['     pid Arguments', `${String(process.pid).padStart(8)} ${ownArgv.join(' ')}`]);
    const states = (await pidin(['-p', String(process.pid), '-F', '%a %J'])).trimEnd().split('\n');
    expect(states[0]).toBe('     pid STATE');
    expect(states).toHaveLength(1 + readdirSync('/proc/self/task').length);
    const times = (await pidin(['-p', String(process.pid), 'times'])).trimEnd().split('\n');
    expect(times[0]).toBe('     pid name                   sid  start time   utime  stime cutime cstime');
    expect(times).toHaveLength(2);
  });

  it('does not list a process that ended', async () => {
    const child = spawn('/usr/bin/mksh', ['-c', 'exit 0'], { stdio: 'ignore' });
    const pid = child.pid;
    await new Promise((resolve) => { child.on('close', resolve); });
    expect(pid).toBeDefined();
    expect((await snapshot(pid)).find((e) => e.pid === pid)).toBeUndefined();
    expect((await snapshot()).find((e) => e.pid === pid)).toBeUndefined();
  });

  it('shows an unreaped process as a zombie (all threads DEAD)', async () => {
    // A background subshell waits for a line, and exits only once mksh has become `sleep`, which
    // never reaps it (mksh itself would, before its exec).
    const parent = spawn('/usr/bin/mksh', ['-c', 'exec 3<&0; (read -r line <&3) & echo $!; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const closed = new Promise((resolve) => { parent.on('close', resolve); });
    try {
      const zombie = await new Promise<number>((resolve) => {
        parent.stdout.setEncoding('utf8').once('data', (line: string) => { resolve(Number(line.trim())); });
      });
      await waitFor(() => readFileSync(`/proc/${String(parent.pid)}/cmdline`, 'utf8').startsWith('sleep\0'), { message: 'mksh to exec sleep' });
      parent.stdin.write('go\n');
      const entry = await waitFor(async () => (await snapshot(zombie)).find((e) => e.pid === zombie && e.zombie), { message: `pid ${zombie} as a zombie` });
      expect(entry.argv).toEqual([]);
    } finally {
      parent.kill('SIGTERM');
      await closed;
    }
  });

  it('leaves out qvm processes outside QVM_SIM_PIDIN_QVM_ROOT: other simulated hosts', async () => {
    const dir = await makeTempDir('pidin');
    const qvm = join(dir, 'other', 'qvm');
    mkdirSync(dirname(qvm));
    writeFileSync(qvm, '#!/usr/bin/mksh\nread -r line\n', { mode: 0o755 });
    // argv is [/usr/bin/mksh, <dir>/other/qvm]: a qvm by its argv[1], as the ssh target's wrappers are.
    const guest = spawn(qvm, [], { stdio: ['pipe', 'ignore', 'ignore'] });
    const closed = new Promise((resolve) => { guest.on('close', resolve); });
    try {
      const pid = String(guest.pid);
      await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(qvm), { message: 'the script to run' });
      const listed = async (root?: string): Promise<boolean> =>
        (await pidin(['-F', '%a %A'], root === undefined ? {} : { QVM_SIM_PIDIN_QVM_ROOT: root })).includes(`${pid.padStart(8)} /usr/bin/mksh ${qvm}`);
      expect(await listed()).toBe(true);
      expect(await listed(dir)).toBe(true);
      expect(await listed(join(dir, 'mine'))).toBe(false);
    } finally {
      guest.stdin.end('\n');
      await closed;
      await removeDir(dir);
    }
  });

  it('prints only the header for a thread ID or a PID that does not exist', async () => {
    const thread = readdirSync('/proc/self/task').map(Number).find((tid) => tid !== process.pid);
    expect(thread).toBeDefined();
    expect((await pidin(['-p', String(thread), '-F', '%a %A'])).trimEnd()).toBe('     pid Arguments');
    expect((await pidin(['-p', '999999999', 'times'])).trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses an unknown option or format with exit 1 and one line', async () => {
    for (const args of [['-x'], ['-F', '%a %Q'], ['env'], ['-p']]) {
      const failure = await pidin(args).then(() => undefined, (error: unknown) => error as { code: number; stderr: string });
      expect(failure?.code).toBe(1);
      expect(failure?.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(failure?.stderr).toMatch(/^pidin: /);
    }
  });
});

