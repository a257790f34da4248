// The state directory does not grow with restarts (docs/runtime.md, "Compaction"): a guest that
// crashes and is restarted again and again keeps a flat number of files, status still counts every
// restart, and qvmctl killed in the middle of a compaction loses no exit and leaves a directory the
// next pass reads and finishes.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { concurrentInstances, createCrashFleet, exitRecordPids, unparsableStateFiles, type CrashFleet } from '../helpers/crash-fleet.js';
import { CLI, createDaemonHarness, guestYaml, type DaemonHarness } from '../helpers/daemon-harness.js';
import { SIM_MAIN } from '../helpers/sim-guest.js';
import { waitFor } from '../helpers/wait-for.js';

/** Restarted at once after every crash, however many: only the compaction bounds what piles up. */
const RESTART_ALWAYS = '{ onFailure: restart, backoff: { initial: 0s }, maxFailures: { count: 1000 }, startLimit: { interval: 0s } }';

/** Every regular file under a guest's directory, `exits/` included. */
async function guestFiles(stateDir: string, name: string): Promise<string[]> {
  const walk = async (dir: string, prefix: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : Promise.resolve([`${prefix}${e.name}`]))));
    return nested.flat();
  };
  return (await walk(join(stateDir, 'guests', name), '')).sort();
}

const bootsOf = (journal: readonly { system: string; event: string; pid: number }[], name: string): number[] =>
  journal.filter((l) => l.system === name && l.event === 'boot').map((l) => l.pid);
const exitsOf = (journal: readonly { system: string; event: string; pid: number }[], name: string): number[] =>
  journal.filter((l) => l.system === name && l.event === 'exit').map((l) => l.pid);

describe('compaction under a daemon', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('30 crash/restart cycles: at most 10 files for the guest at any time, and status counts every restart', { timeout: 180_000 }, async () => {
    const cycles = 30;
    h = await createDaemonHarness({ interval: '10m' });
    const d = h;
    await d.write('app.yaml', guestYaml('app', { knobs: 'boot-ms=20 shutdown-ms=20', spec: `  restart: ${RESTART_ALWAYS}\n` }));
    await d.commit('app');
    await d.startDaemon();
    let most = 0;
    for (let i = 0; i < cycles; i += 1) {
      // The guest takes commands once it has booted (the journal says so).
      const pid = await waitFor(async () => {
        const journal = await d.journal();
        const last = bootsOf(journal, 'app')[i];
        return last !== undefined && journal.some((l) => l.pid === last && l.event === 'running') ? last : undefined;
      }, { timeoutMs: 20_000, message: `boot ${i + 1}` });
      most = Math.max(most, (await guestFiles(d.stateDir, 'app')).length);
      await d.guestCommand('app', 'crash');
      await waitFor(async () => exitsOf(await d.journal(), 'app').includes(pid), { timeoutMs: 20_000, message: `exit ${i + 1}` });
    }
    const restarted = await waitFor(async () => {
      const g = await d.guest('app');
      return g?.phase === 'running' && g.restarts === cycles ? g : undefined;
    }, { timeoutMs: 20_000, message: 'the last restart' });
    expect(restarted.lastExit).toMatchObject({ code: 96, meaning: 'failure' });
    const files = await guestFiles(d.stateDir, 'app');
    most = Math.max(most, files.length);
    expect(most, files.join('\n')).toBeLessThanOrEqual(10);
    // The last three ended runs keep their records (Host history.keep, default 3); their PIDs are the journal's.
    const journal = await d.journal();
    expect(await exitRecordPids(d.stateDir, 'app')).toEqual(exitsOf(journal, 'app').slice(-3).sort((a, b) => a - b));
    expect(files.filter((f) => f.startsWith('run-'))).toHaveLength(2);
    expect(concurrentInstances(journal)).toEqual([]);
    const text = await execa('node', [CLI, 'status', '-f', d.manifestDir, '--state-dir', d.stateDir], { env: { NO_COLOR: '1' } });
    const row = text.stdout.split('\n').find((l) => l.startsWith('app '));
    expect(text.stdout).toMatch(/RESTARTS\s+LAST EXIT/);
    expect(row).toMatch(new RegExp(`\\s${cycles}\\s+96 \\(fatal error after the guest started\\)`));
  });
});

describe('crash point compact:mid-removal', () => {
  let fleet: CrashFleet | undefined;
  afterEach(async () => {
    await fleet?.cleanup();
    fleet = undefined;
  });

  async function crashOnce(f: CrashFleet, index: number): Promise<number> {
    const pid = await waitFor(async () => {
      const journal = await f.journal();
      const boot = bootsOf(journal, 'app')[index];
      return boot !== undefined && journal.some((l) => l.pid === boot && l.event === 'running') ? boot : undefined;
    }, { timeoutMs: 10_000 });
    await execa(process.execPath, [SIM_MAIN, 'guest', 'app', 'crash'], { env: { QVM_SIM_DIR: join(f.stateDir, 'sim') }, forceKillAfterDelay: false });
    await waitFor(async () => exitsOf(await f.journal(), 'app').includes(pid), { timeoutMs: 10_000 });
    return pid;
  }

  async function statusOf(f: CrashFleet): Promise<GuestStatus | undefined> {
    const r = await f.cli(['status', '-o', 'json']);
    expect(r.exitCode, r.output).toBe(0);
    return (JSON.parse(r.output.slice(0, r.output.lastIndexOf('}') + 1)) as { guests: GuestStatus[] }).guests.find((g) => g.name === 'app');
  }

  it('a crash between two removals loses no exit; the next apply reads the directory and finishes', { timeout: 120_000 }, async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeHost('  history: { keep: 10 }');
    await f.writeGuest('app', { restart: RESTART_ALWAYS });
    const apply = async (crashAt?: string): Promise<void> => {
      const r = await f.cli(['apply'], crashAt);
      if (crashAt === undefined) expect(r.exitCode, r.output).toBe(0);
      else expect(r.signal, `qvmctl died at ${crashAt}\n${r.output}`).toBe('SIGKILL');
    };
    await apply();
    for (let i = 0; i < 5; i += 1) {
      await crashOnce(f, i);
      await apply();
    }
    expect(await exitRecordPids(f.stateDir, 'app')).toHaveLength(5);
    // Keep 2 from now on: the next pass removes four records and dies after the first.
    await f.writeHost('  history: { keep: 2 }');
    const last = await crashOnce(f, 5);
    await apply('compact:mid-removal');
    const afterCrash = await exitRecordPids(f.stateDir, 'app');
    // The exit of this pass was folded and acknowledged before anything was removed; one removal happened.
    expect(afterCrash).toContain(last);
    expect(afterCrash).toHaveLength(5);
    expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
    expect(await statusOf(f)).toMatchObject({ restarts: 6, failures: 6 });

    await apply();
    const journal = await f.journal();
    expect(await exitRecordPids(f.stateDir, 'app')).toEqual(exitsOf(journal, 'app').slice(-2).sort((a, b) => a - b));
    expect(concurrentInstances(journal)).toEqual([]);
    expect(bootsOf(journal, 'app')).toHaveLength(7);
    expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
    expect(await statusOf(f)).toMatchObject({ phase: 'running', restarts: 6, failures: 6, lastExit: { code: 96 } });
    expect((await guestFiles(f.stateDir, 'app')).length).toBeLessThanOrEqual(10);
    const again = await f.cli(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.output).toBe(0);
  });
});
