// A monitor that dies (SIGKILL, the only signal it does not trap): the qvm keeps running and stays
// adopted, qvmctl says the guest runs unwatched, and when that qvm ends its exit is not lost: it is
// inferred once (unknown cause, a failure for backoff) and the guest is restarted per its policy.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { createCrashFleet, liveInstances, concurrentInstances, type CrashFleet } from '../helpers/crash-fleet.js';
import { createDaemonHarness, guestYaml, SIM, type DaemonHarness } from '../helpers/daemon-harness.js';
import { killGuestMonitor } from '../helpers/kill-monitor.js';
import { journalViolations, type JournalLine } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const QUICK_RESTART = '  restart:\n    onFailure: restart\n    backoff: { initial: 100ms, max: 1s, resetAfter: 10m }\n';

let fleet: CrashFleet | undefined;
let daemon: DaemonHarness | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  await daemon?.cleanup();
  fleet = undefined;
  daemon = undefined;
});

const running = (journal: readonly JournalLine[], pid: number): boolean => journal.some((l) => l.pid === pid && l.event === 'running');
const exited = (journal: readonly JournalLine[], pid: number): boolean => journal.some((l) => l.pid === pid && l.event === 'exit');

async function guestCommand(stateDir: string, system: string, action: string): Promise<void> {
  await execa(process.execPath, [SIM, 'guest', system, action], { env: { QVM_SIM_DIR: join(stateDir, 'sim') }, forceKillAfterDelay: false });
}

async function localStatus(f: CrashFleet): Promise<GuestStatus> {
  const r = await f.cli(['status', '-o', 'json']);
  expect(r.exitCode, r.output).toBe(0);
  const answer = JSON.parse(r.output.slice(0, r.output.lastIndexOf('}') + 1)) as { source: string; guests: GuestStatus[] };
  const guest = answer.guests.find((g) => g.name === 'base');
  if (guest === undefined) throw new Error(`no guest base in ${r.output}`);
  return guest;
}

describe('a monitor that dies', () => {
  it('leaves qvm running and adopted; its later exit is inferred once, counted as a failure, and the guest restarted', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const yaml = await readFile(join(f.manifests, 'base.yaml'), 'utf8');
    await writeFile(join(f.manifests, 'base.yaml'), `${yaml}${QUICK_RESTART}`);
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    const first = await localStatus(f);
    const pid = first.pid ?? 0;
    await waitFor(async () => running(await f.journal(), pid), { timeoutMs: 20_000 });

    await killGuestMonitor(f.stateDir, 'base');
    const unwatched = await localStatus(f);
    expect(unwatched).toMatchObject({ phase: 'running', pid, monitorLost: true });
    expect((await f.cli(['status'])).output).toContain('base: monitor lost: qvm runs unwatched');
    // Nothing to do while it runs: no second qvm, no stop.
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    expect(liveInstances(await f.journal()).get('base')).toEqual([pid]);

    await guestCommand(f.stateDir, 'base', 'crash');
    await waitFor(async () => exited(await f.journal(), pid), { timeoutMs: 20_000 });
    const afterCrash = await localStatus(f);
    expect(afterCrash.pid).toBeUndefined();
    expect(afterCrash).toMatchObject({ failures: 1, lastExit: { code: null, signal: null, meaning: 'failure', unrecorded: 'monitor-lost' } });
    expect((await f.cli(['status'])).output).toContain('exit not recorded (monitor lost), counted as a failure');
    // Inferred, not recorded: a look writes nothing, and a second look does not count it again.
    expect((await localStatus(f)).failures).toBe(1);
    await expect(readdir(join(f.stateDir, 'guests', 'base', 'exits'))).rejects.toMatchObject({ code: 'ENOENT' });

    const apply = await waitFor(async () => { const r = await f.cli(['apply']); return /start/.test(r.output) && r.exitCode === 0 ? r : undefined; }, { timeoutMs: 20_000 });
    expect(apply.output).toMatch(/exit not recorded \(monitor lost\)/);
    // The pass folded it into the history, then acknowledged it: stored once, where exits are kept.
    const claimed = await readdir(join(f.stateDir, 'guests', 'base', 'exits'));
    expect(claimed.filter((n) => n.endsWith('.exit.json'))).toHaveLength(1);
    const restarted = await localStatus(f);
    expect(restarted).toMatchObject({ phase: 'running', monitorLost: false, failures: 1 });
    expect(restarted.pid).not.toBe(pid);
    const journal = await f.journal();
    expect(concurrentInstances(journal)).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });

  it('a stop of an unwatched guest does not wait for a record, and its exit counts as requested', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    const pid = (await localStatus(f)).pid ?? 0;
    await waitFor(async () => running(await f.journal(), pid), { timeoutMs: 20_000 });
    await killGuestMonitor(f.stateDir, 'base');
    await f.writeGuest('base', { state: 'stopped' });
    const stop = await f.cli(['apply']);
    expect(stop.exitCode, stop.output).toBe(0);
    expect(exited(await f.journal(), pid)).toBe(true);
    const after = await localStatus(f);
    expect(after).toMatchObject({ phase: 'stopped', failures: 0, lastExit: { meaning: 'requested', unrecorded: 'monitor-lost' } });
    expect(journalViolations(await f.journal())).toEqual([]);
  });

  it('the daemon warns once, then infers the exit and restarts the guest per its policy', async () => {
    const h = (daemon = await createDaemonHarness({ interval: '10m' }));
    await h.write('base.yaml', guestYaml('base', { spec: QUICK_RESTART }));
    await h.commit('base');
    await h.startDaemon();
    const first = await waitFor(async () => { const g = await h.guest('base'); return g?.phase === 'running' ? g : undefined; }, { timeoutMs: 20_000 });
    const pid = first.pid ?? 0;
    await waitFor(async () => running(await h.journal(), pid), { timeoutMs: 20_000 });
    await killGuestMonitor(h.stateDir, 'base');
    // A pass notices: the resync is 10 minutes away, so an edit of an unrelated file triggers one.
    await h.write('notes.txt', 'touch\n');
    await waitFor(async () => (await h.guest('base'))?.monitorLost, { timeoutMs: 20_000, message: 'status shows the monitor lost' });
    expect((await h.events('base')).filter((e) => e.reason === 'MonitorLost')).toHaveLength(1);

    await h.guestCommand('base', 'crash');
    // No exit record comes, so no exit trigger: while a monitor is lost the daemon looks every 2 s.
    const second = await waitFor(async () => { const g = await h.guest('base'); return g?.phase === 'running' && g.pid !== pid ? g : undefined; }, { timeoutMs: 20_000, message: 'restarted' });
    expect(second).toMatchObject({ restarts: 1, failures: 1, monitorLost: false, lastExit: { meaning: 'failure', unrecorded: 'monitor-lost' } });
    const events = await h.events('base');
    expect(events.find((e) => e.reason === 'Exited')?.message).toMatch(/exit not recorded \(monitor lost\) \(failure\)/);
    expect(events.filter((e) => e.reason === 'MonitorLost')).toHaveLength(1);
    const log = await h.log();
    expect(log.some((l) => l['level'] === 40 && typeof l['msg'] === 'string' && l['msg'].includes('monitor lost'))).toBe(true);
    const journal = await h.journal();
    expect(concurrentInstances(journal)).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });

  it('a qvm that started before the host last booted ended with the host: not a failure, started again at once', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    // What a power loss leaves: the identity of a run from the previous boot, no process, no record.
    const bootedAt = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1]) * 1000;
    const runId = `${bootedAt - 60_000}-0badc0de`;
    const guestDir = join(f.stateDir, 'guests', 'base');
    await mkdir(guestDir, { recursive: true, mode: 0o700 });
    const pid = Number(await readFile('/proc/sys/kernel/pid_max', 'utf8')) - 1;
    await writeFile(join(guestDir, `run-${runId}.pid`), `${pid}\n`, { mode: 0o600 });
    await writeFile(join(guestDir, 'identity.json'), JSON.stringify({
      name: 'base', runId, pid, processStart: '1', configHash: 'old', confPath: join(guestDir, 'old.qvmconf'), startedAt: bootedAt - 60_000, consoleOffset: 0,
    }), { mode: 0o600 });

    const before = await localStatus(f);
    expect(before).toMatchObject({ phase: 'pending', failures: 0, lastExit: { meaning: 'requested', unrecorded: 'host-down' } });
    expect((await f.cli(['status'])).output).toContain('exit not recorded (the host went down)');
    const apply = await f.cli(['apply']);
    expect(apply.exitCode, apply.output).toBe(0);
    expect(apply.output).not.toMatch(/backoff/);
    expect(await localStatus(f)).toMatchObject({ phase: 'running', failures: 0 });
  });
});
