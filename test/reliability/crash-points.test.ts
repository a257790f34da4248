// qvmctl killed (SIGKILL, as by a power loss) at each named crash point, then run again: every guest
// that should run runs exactly once, none was stopped that should not have been, no exit record is
// lost, and every state file still parses.
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { SIM_MAIN } from '../helpers/sim-guest.js';
import { waitFor } from '../helpers/wait-for.js';
import { concurrentInstances, createCrashFleet, exitRecordPids, exitRecords, liveInstances, unparsableStateFiles, type CrashFleet } from '../helpers/crash-fleet.js';

let fleet: CrashFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

async function setUp(options: { prune?: boolean } = {}): Promise<CrashFleet> {
  fleet = await createCrashFleet(options);
  await fleet.writeGuest('base');
  await fleet.writeGuest('app', { dependsOn: ['base'] });
  return fleet;
}

async function applyOk(f: CrashFleet): Promise<void> {
  const r = await f.cli(['apply']);
  expect(r.exitCode, r.output).toBe(0);
}

async function crashAt(f: CrashFleet, point: string, args: readonly string[] = ['apply']): Promise<void> {
  const r = await f.cli(args, point);
  expect(r.signal, `qvmctl died at ${point}\n${r.output}`).toBe('SIGKILL');
}

// The invariants after the second, uncrashed run.
async function expectInvariants(f: CrashFleet, running: readonly string[], stopped: readonly string[] = []): Promise<void> {
  // qvm is started once its process runs; the simulator journals its boot a moment later.
  const journal = await waitFor(async () => {
    const lines = await f.journal();
    const live = liveInstances(lines);
    return running.every((name) => (live.get(name)?.length ?? 0) > 0) ? lines : undefined;
  }, { timeoutMs: 10_000 }).catch(() => f.journal());
  expect(concurrentInstances(journal)).toEqual([]);
  const live = liveInstances(journal);
  for (const name of running) expect(live.get(name)?.length ?? 0, `${name} runs exactly once`).toBe(1);
  for (const name of stopped) expect(live.get(name) ?? [], `${name} stopped`).toEqual([]);
  for (const name of [...running, ...stopped]) {
    const exited = journal.filter((l) => l.system === name && l.event === 'exit').map((l) => l.pid).sort((a, b) => a - b);
    expect(await exitRecordPids(f.stateDir, name), `${name}: an exit record for every exit`).toEqual(exited);
  }
  expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
  const again = await f.cli(['plan', '--detailed-exitcode']);
  expect(again.exitCode, again.output).toBe(0);
}

const pidsOf = (journal: readonly { system: string; event: string; pid: number }[], name: string): number[] =>
  journal.filter((l) => l.system === name && l.event === 'boot').map((l) => l.pid);

async function statusOf(f: CrashFleet, name: string): Promise<GuestStatus | undefined> {
  const r = await f.cli(['status', '-o', 'json']);
  expect(r.exitCode, r.output).toBe(0);
  return (JSON.parse(r.output.slice(0, r.output.lastIndexOf('}') + 1)) as { guests: GuestStatus[] }).guests.find((g) => g.name === name);
}

describe('crash points in apply', () => {
  it('observe:after-history: an exit folded into the history before the crash counts once', async () => {
    const f = await setUp();
    // No backoff: the crash is answered by the very next apply, however soon it runs after the exit.
    await f.writeGuest('app', { dependsOn: ['base'], backoff: '0s' });
    await applyOk(f);
    const [pid] = pidsOf(await f.journal(), 'app');
    await waitFor(async () => (await f.journal()).some((l) => l.pid === pid && l.event === 'running'), { timeoutMs: 10_000 });
    await execa(process.execPath, [SIM_MAIN, 'guest', 'app', 'crash'], { env: { QVM_SIM_DIR: join(f.stateDir, 'sim') }, forceKillAfterDelay: false });
    await waitFor(async () => (await f.journal()).some((l) => l.pid === pid && l.event === 'exit'), { timeoutMs: 10_000 });
    // Died with the history saved and the record not yet acknowledged: the next pass reads it again.
    await crashAt(f, 'observe:after-history');
    expect(await exitRecords(f.stateDir, 'app')).toHaveLength(1);
    await applyOk(f);
    await expectInvariants(f, ['base', 'app']);
    expect(await statusOf(f, 'app')).toMatchObject({ failures: 1, restarts: 1 });
  });

  it('apply:after-observe: the next apply starts each guest once', async () => {
    const f = await setUp();
    await crashAt(f, 'apply:after-observe');
    await applyOk(f);
    await expectInvariants(f, ['base', 'app']);
  });

  it('start:after-monitor-spawn: the launched qvm is adopted, not started twice', async () => {
    const f = await setUp();
    await crashAt(f, 'start:after-monitor-spawn');
    await applyOk(f);
    await expectInvariants(f, ['base', 'app']);
    expect(pidsOf(await f.journal(), 'base')).toHaveLength(1);
  });

  it('restart:after-stop: the restarted guest comes back once, its dependency untouched', async () => {
    const f = await setUp();
    await applyOk(f);
    const before = pidsOf(await f.journal(), 'base');
    await f.writeGuest('app', { dependsOn: ['base'], knobs: 'boot-ms=30 shutdown-ms=50' });
    await crashAt(f, 'restart:after-stop');
    await applyOk(f);
    await expectInvariants(f, ['base', 'app']);
    const journal = await f.journal();
    expect(pidsOf(journal, 'base')).toEqual(before);
    expect(pidsOf(journal, 'app')).toHaveLength(2);
  });
});

describe('crash points in the stop ladder', () => {
  it.each(['stop:after-request-marker', 'stop:after-power-button'])('%s: the stop completes, the exit counts as requested', async (point) => {
    const f = await setUp();
    await applyOk(f);
    // No guest command: the ladder goes straight to the power button.
    await f.writeGuest('app', { dependsOn: ['base'], state: 'stopped', guestCommand: false });
    await crashAt(f, point);
    await applyOk(f);
    await expectInvariants(f, ['base'], ['app']);
    const journal = await f.journal();
    expect(pidsOf(journal, 'base')).toHaveLength(1);
    expect(pidsOf(journal, 'app')).toHaveLength(1);
    expect(await exitRecords(f.stateDir, 'app')).toEqual([expect.objectContaining({ status: 0, requested: true })]);
  });
});

describe('crash points in prune', () => {
  it('prune:before-stop: the removed guest is stopped by the next apply, nothing else', async () => {
    const f = await setUp({ prune: true });
    await f.writeGuest('extra');
    await applyOk(f);
    await f.removeGuest('extra');
    await crashAt(f, 'prune:before-stop');
    await applyOk(f);
    await expectInvariants(f, ['base', 'app'], ['extra']);
    const journal = await f.journal();
    expect(pidsOf(journal, 'base')).toHaveLength(1);
    expect(pidsOf(journal, 'app')).toHaveLength(1);
  });
});

describe('crash points in the shutdown sequence', () => {
  // After the resumed run: no qvm alive, the host command ran exactly once, after the last exit.
  async function expectShutdownDone(f: CrashFleet): Promise<void> {
    const r = await f.cli(['shutdown']);
    expect(r.exitCode, r.output).toBe(0);
    const journal = await f.journal();
    expect([...liveInstances(journal).values()].flat()).toEqual([]);
    expect(concurrentInstances(journal)).toEqual([]);
    const runs = await f.hostCommandRuns();
    expect(runs).toHaveLength(1);
    const lastExit = Math.max(...journal.filter((l) => l.event === 'exit').map((l) => l.time));
    expect(runs[0]).toBeGreaterThanOrEqual(lastExit);
    for (const name of ['base', 'app']) expect((await exitRecords(f.stateDir, name)).map((e) => e.requested)).toEqual([true]);
    expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
  }

  it.each(['shutdown:after-fence', 'shutdown:after-some-stopped', 'shutdown:before-host-command'])('%s: the host command never runs while a qvm lives, and a rerun resumes', async (point) => {
    const f = await setUp();
    await applyOk(f);
    await crashAt(f, point, ['shutdown']);
    expect(await f.hostCommandRuns()).toEqual([]);
    // The fence outlives the crash: an apply meanwhile starts nothing.
    await f.cli(['apply']);
    const boots = (await f.journal()).filter((l) => l.event === 'boot');
    expect(boots).toHaveLength(2);
    await expectShutdownDone(f);
  });
});
