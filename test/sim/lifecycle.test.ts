// Every row of the qvm exit-code table and every signal, against real simulator processes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimDir, simConf, type SimDir, type SimRun } from '../helpers/sim-guest.js';
import { waitFor } from '../helpers/wait-for.js';

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('sim-life'); });
afterEach(async () => { await sim.cleanup(); });

async function startRunning(system: string, knobs = 'boot-ms=20 shutdown-ms=20', extra = ''): Promise<SimRun> {
  const run = sim.start([`@${sim.writeConf(system, simConf(system, knobs, extra))}`]);
  await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'running');
  return run;
}

function eventsOf(pid: number): string[] {
  return sim.journal().filter((l) => l.pid === pid).map((l) => (l.signal ?? l.action ?? (l.code === undefined ? l.kind : String(l.code))) === undefined ? l.event : `${l.event}:${l.signal ?? l.action ?? l.kind ?? String(l.code)}`);
}

describe('simulated guest lifecycle', () => {
  it('SIGTERM (power button): orderly shutdown, exit 0, every step journalled', async () => {
    const run = await startRunning('a');
    // The journal line can come before the console output has crossed the pipe.
    await waitFor(() => run.stdout().includes('[a] login:'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(eventsOf(run.pid)).toEqual(['boot', 'running', 'signal:SIGTERM', 'shutdown', 'exit:0']);
  });

  it('SIGINT is the power button too', async () => {
    const run = await startRunning('b');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(eventsOf(run.pid)).toContain('signal:SIGINT');
  });

  it('a guest that ignores the power button keeps running; SIGQUIT then cuts power: exit 3, disk dirty, fsck next boot', async () => {
    const run = await startRunning('c', 'boot-ms=20 shutdown-ms=20 ignore-power-button');
    run.child.kill('SIGTERM');
    await sim.waitForJournal((l) => l.pid === run.pid && l.signal === 'SIGTERM');
    await waitFor(() => run.stdout().includes('power button (SIGTERM) ignored'));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGQUIT');
    expect(await run.exited).toBe(3);
    expect(eventsOf(run.pid)).toEqual(['boot', 'running', 'signal:SIGTERM', 'signal:SIGQUIT', 'damage:disk', 'exit:3']);
    const next = await startRunning('c', 'boot-ms=20 shutdown-ms=20');
    await waitFor(() => next.stdout().includes('running filesystem check'));
    expect(eventsOf(next.pid).slice(0, 3)).toEqual(['boot', 'fsck', 'running']);
  });

  it('SIGUSR1 logs a status line and keeps running', async () => {
    const run = await startRunning('d');
    run.child.kill('SIGUSR1');
    await waitFor(() => run.stdout().includes('status: state=running'));
    expect(eventsOf(run.pid)).toContain('signal:SIGUSR1');
    expect(run.child.exitCode).toBeNull();
  });

  it('guest shutdown → 0 and guest reboot → 0 or the configured reboot code', async () => {
    const a = await startRunning('e');
    expect((await sim.run(['guest', 'e', 'shutdown'])).code).toBe(0);
    expect(await a.exited).toBe(0);
    expect(eventsOf(a.pid)).toEqual(['boot', 'running', 'guest:shutdown', 'shutdown', 'exit:0']);
    const b = await startRunning('e');
    await sim.run(['guest', 'e', 'reboot']);
    expect(await b.exited).toBe(0);
    const c = await startRunning('f', 'boot-ms=20 shutdown-ms=20 reboot-exit=40');
    await sim.run(['guest', 'f', 'reboot']);
    expect(await c.exited).toBe(40);
  });

  it('guest status succeeds only once the guest runs, so it can gate readiness', async () => {
    const run = sim.start([`@${sim.writeConf('st', simConf('st', 'boot-ms=4000 shutdown-ms=20'))}`]);
    await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'boot');
    const booting = await sim.run(['guest', 'st', 'status']);
    expect(booting.code).toBe(1);
    await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'running');
    expect((await sim.run(['guest', 'st', 'status'])).code).toBe(0);
  });

  it('a guest that ignores its shutdown command still answers, and stops on the power button', async () => {
    const run = await startRunning('g', 'boot-ms=20 shutdown-ms=20 ignore-guest-shutdown');
    expect((await sim.run(['guest', 'g', 'shutdown'])).code).toBe(0);
    await waitFor(() => run.stdout().includes('guest shutdown requested but ignored'));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('guest crash → 96; scripted crash-after-ms → 96', async () => {
    const run = await startRunning('h');
    expect((await sim.run(['guest', 'h', 'crash'])).code).toBe(0);
    expect(await run.exited).toBe(96);
    const scripted = sim.start([`@${sim.writeConf('i', simConf('i', 'boot-ms=10 crash-after-ms=30'))}`]);
    expect(await scripted.exited).toBe(96);
  });

  it('fail-start → 64 before the guest boots', async () => {
    const run = sim.start([`@${sim.writeConf('j', simConf('j', 'fail-start'))}`]);
    expect(await run.exited).toBe(64);
    expect(run.stderr()).toContain('configured start-up failure');
    expect(eventsOf(run.pid)).toEqual(['refused', 'exit:64']);
  });

  it.each([
    ['wdt-ib700', 'vdev wdt-ib700 loc io:0x443 action terminate'],
    ['wdt-sp805', 'vdev wdt-sp805 loc 0x1c0f0000 intr gic:32 action dump,terminate'],
  ])('%s with action terminate: a hung guest is ended with exit 4 and a dirty disk', async (_type, vdev) => {
    const run = await startRunning('k', 'boot-ms=20 shutdown-ms=20 watchdog-ms=50', vdev);
    expect((await sim.run(['guest', 'k', 'hang'])).code).toBe(0);
    expect(await run.exited).toBe(4);
    expect(eventsOf(run.pid)).toEqual(['boot', 'running', 'guest:hang', 'damage:disk', 'exit:4']);
  });

  it('a hung guest without a watchdog ignores the power button and its commands', async () => {
    const run = await startRunning('l');
    await sim.run(['guest', 'l', 'hang']);
    await waitFor(() => run.stdout().includes('guest hung'));
    const command = await sim.run(['guest', 'l', 'shutdown']);
    expect(command.code).toBe(1);
    expect(command.stderr).toContain('hung');
    run.child.kill('SIGTERM');
    await waitFor(() => run.stdout().includes('ignored'));
    run.child.kill('SIGQUIT');
    expect(await run.exited).toBe(3);
  });

  it('guest ignore-power-button makes SIGTERM ineffective from then on', async () => {
    const run = await startRunning('m');
    await sim.run(['guest', 'm', 'ignore-power-button']);
    run.child.kill('SIGTERM');
    await waitFor(() => run.stdout().includes('ignored by the guest'));
    expect(run.child.exitCode).toBeNull();
  });

  it('the guest command fails clearly when the guest does not run', async () => {
    const result = await sim.run(['guest', 'nobody', 'shutdown']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nobody is not running');
  });
});
