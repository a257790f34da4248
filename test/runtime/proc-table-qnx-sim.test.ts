// qvmctl's QNX process table end to end against the simulator's pidin stand-in (`qvm-sim pidin`,
// from this machine's /proc), with real simulated guests started every way an integrator starts
// qvm: what the table reads must be what Linux's /proc says of the same processes.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { createQnxProcessTable } from '../../src/runtime/proc-table/qnx.js';
import type { ProcessEntry } from '../../src/runtime/proc-table/types.js';
import { isQvmCommandLine } from '../../src/runtime/qvm-command.js';
import { createSimDir, SIM_ARGV, simConf, type SimDir, type SimRun } from '../helpers/sim-guest.js';
import { waitFor } from '../helpers/wait-for.js';

const execFileAsync = promisify(execFile);

/** pidin as qvmctl runs it on QNX: a failing pidin (exit 1 for a PID no process has) rejects. */
const table = createQnxProcessTable(async (args) => {
  const [node = process.execPath, ...rest] = SIM_ARGV;
  const { stdout } = await execFileAsync(node, [...rest, 'pidin', ...args], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
});
const linux = createLinuxProcessTable();
const isQvm = (argv: readonly string[]): boolean => isQvmCommandLine(argv, { kind: 'simulator' });

/** pidin's start time: to the minute while recent (docs/runtime.md, "Process tables"). */
const START = /^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}$/;

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('qnx-table'); });
afterEach(async () => { await sim.cleanup(); });

async function running(run: SimRun, system: string): Promise<void> {
  await sim.waitForJournal((l) => l.pid === run.pid && l.system === system && l.event === 'running');
}

const mine = (entries: readonly ProcessEntry[], pids: readonly number[]): ProcessEntry[] =>
  entries.filter((e) => pids.includes(e.pid)).sort((a, b) => a.pid - b.pid);

describe('the QNX process table on the simulator\'s pidin', () => {
  it('sees every qvm however it was started, with the argv /proc has and a start time that stays', async () => {
    const one = sim.writeConf('one', simConf('one'));
    const base = sim.writeConf('base', simConf('stacked'));
    const disk = sim.writeConf('disk', 'vdev pl011\n  loc 0x1c090000\n  intr gic:37\n');
    mkdirSync(join(sim.dir, 'guests-v2'));
    const renamed = join(sim.dir, 'guests-v2', 'cluster.conf');
    writeFileSync(renamed, simConf('renamed'));
    const runs: [SimRun, string][] = [
      [sim.start([`@${one}`]), 'one'],
      [sim.start([`@${base}`, `@${disk}`]), 'stacked'],
      [sim.start(['system', 'inline', 'ram', '0x80000000,64M', 'cpu']), 'inline'],
      [sim.start([`@${renamed}`]), 'renamed'],
    ];
    for (const [run, system] of runs) await running(run, system);
    const pids = runs.map(([run]) => run.pid).sort((a, b) => a - b);

    const seen = mine(await table.list(isQvm), pids);
    expect(seen.map((e) => e.pid)).toEqual(pids);
    const fromProc = mine(await linux.list(isQvm), pids);
    expect(seen.map((e) => e.argv)).toEqual(fromProc.map((e) => e.argv));
    for (const entry of seen) {
      expect(entry.zombie).toBe(false);
      expect(entry.start).toMatch(START);
      expect((await table.get(entry.pid))?.start).toBe(entry.start);
    }
    expect(mine(await table.list(isQvm), pids).map((e) => e.start)).toEqual(seen.map((e) => e.start));
    // pidin's own processes and the shell are not qvm.
    expect((await table.list(() => true)).some((e) => e.argv.includes('pidin'))).toBe(true);
    expect((await table.list(isQvm)).some((e) => e.argv.includes('pidin'))).toBe(false);
  });

  it('loses a guest that ended: gone from the list, and get() finds nothing (pidin exits 1)', async () => {
    const conf = sim.writeConf('ending', simConf('ending'));
    const run = sim.start([`@${conf}`]);
    await running(run, 'ending');
    expect((await table.get(run.pid))?.argv).toContain(`@${conf}`);
    expect((await sim.run(['guest', 'ending', 'shutdown'])).code).toBe(0);
    expect(await run.exited).toBe(0);
    expect(await table.get(run.pid)).toBeUndefined();
    expect(mine(await table.list(isQvm), [run.pid])).toEqual([]);
  });

  it('takes a qvm that ended but is not reaped for gone: a zombie, as pidin shows one', async () => {
    const conf = sim.writeConf('z', simConf('z'));
    // The guest's parent becomes `sleep`, which never reaps it.
    const [node = process.execPath, ...rest] = SIM_ARGV;
    const parent = spawn('/usr/bin/mksh', ['-c', '"$@" & echo $!; exec sleep 60', 'mksh', node, ...rest, `@${conf}`], {
      env: { ...process.env, QVM_SIM_DIR: sim.dir }, stdio: ['ignore', 'pipe', 'ignore'],
    });
    const closed = new Promise((resolve) => { parent.on('close', resolve); });
    try {
      const pid = await new Promise<number>((resolve) => {
        parent.stdout.setEncoding('utf8').once('data', (line: string) => { resolve(Number(line.trim())); });
      });
      await sim.waitForJournal((l) => l.pid === pid && l.event === 'running');
      const live = await table.get(pid);
      expect(live?.zombie).toBe(false);
      expect(live?.argv).toContain(`@${conf}`);
      expect((await sim.run(['guest', 'z', 'shutdown'])).code).toBe(0);
      const zombie = await waitFor(async () => { const e = await table.get(pid); return e?.zombie === true ? e : undefined; }, { message: `qvm ${pid} a zombie` });
      // A zombie's start time is still there: the same process, ended.
      expect(zombie.start).toBe(live?.start);
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(mine(await table.list(isQvm), [pid])).toEqual([]);
    } finally {
      parent.kill('SIGTERM');
      await closed;
    }
  });
});
