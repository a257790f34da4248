// Unmanaged qvm processes under each `shutdown.unmanaged` policy, and the fence as a pass sees it.
import { describe, expect, it } from 'vitest';

import { previewPass } from '../../src/executor/reconcile-pass.js';
import { runShutdownSequence } from '../../src/executor/shutdown-sequence.js';
import { guestSpec, signalsIn, startQvmByHand, useHarness } from '../helpers/runtime-harness.js';
import { desiredFleet, readHostLog, testHost } from '../helpers/shutdown-fleet.js';

const h = useHarness();

// A qvm someone started by hand: its configuration lies in this state directory (this simulated host).
function startStray(): Promise<{ pid: number; exitCode: () => Promise<number | undefined> }> {
  return startQvmByHand(h.stateDir, 'stray.qvmconf', guestSpec('stray').qvmconf);
}

const svc = guestSpec('svc', { shutdown: { guestTimeoutMs: 2_000 } });

describe('unmanaged qvm processes in a host shutdown', () => {
  it('refuse: stops nothing, names them, and leaves no fence behind', async () => {
    await h.startRunning(svc);
    const stray = await startStray();
    const result = await runShutdownSequence({ desired: desiredFleet([svc], testHost(h.stateDir, 'refuse')), runtime: h.runtime, mode: 'poweroff' });
    expect(result).toMatchObject({ status: 'refused', ok: false, guests: [], host: { ran: false } });
    expect(result.blockers).toEqual([`unmanaged qvm process ${stray.pid} (shutdown.unmanaged: refuse)`]);
    expect((await h.runtime.observe()).guests.map((g) => g.name)).toEqual(['svc']);
    expect(await h.runtime.state.readFence()).toBeUndefined();
    expect(await readHostLog(h.stateDir)).toEqual([]);
    const journal = await h.journal();
    expect(journal.filter((l) => l.event === 'guest' || l.event === 'signal')).toEqual([]);
  });

  it('stop: presses their power button along with the guests, then runs the host command', async () => {
    await h.startRunning(svc);
    const stray = await startStray();
    const result = await runShutdownSequence({ desired: desiredFleet([svc], testHost(h.stateDir, 'stop')), runtime: h.runtime, mode: 'poweroff' });
    expect(result).toMatchObject({ status: 'completed', ok: true, host: { ran: true } });
    expect(result.guests).toContainEqual(expect.objectContaining({ guest: `pid:${stray.pid}`, kind: 'unmanaged', end: 'stopped', step: 'power-button' }));
    expect(await stray.exitCode()).toBe(0);
    expect(signalsIn(await h.journal(), 'stray')).toEqual(['SIGTERM']);
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
  });

  it('leave: does not touch them, and so does not run the host command', async () => {
    await h.startRunning(svc);
    const stray = await startStray();
    const result = await runShutdownSequence({ desired: desiredFleet([svc], testHost(h.stateDir, 'leave')), runtime: h.runtime, mode: 'poweroff' });
    expect(result).toMatchObject({ status: 'blocked', ok: false, host: { ran: false } });
    expect(result.guests).toContainEqual(expect.objectContaining({ guest: 'svc', end: 'stopped' }));
    expect(result.guests).toContainEqual(expect.objectContaining({ guest: `pid:${stray.pid}`, end: 'left' }));
    expect(result.blockers).toEqual([`unmanaged qvm pid ${stray.pid} left running (shutdown.unmanaged: leave)`]);
    expect(signalsIn(await h.journal(), 'stray')).toEqual([]);
    expect(await readHostLog(h.stateDir)).toEqual([]);
  });
});

describe('the fence after a shutdown', () => {
  it('holds every start a pass would plan until it is lifted', async () => {
    const desired = desiredFleet([svc], testHost(h.stateDir));
    await h.startRunning(svc);
    await runShutdownSequence({ desired, runtime: h.runtime, mode: 'none' });
    const pass = await previewPass({ desired, runtime: h.runtime, explicit: true });
    expect(pass.plan.changes).toEqual([]);
    expect(pass.plan.holds).toContainEqual(expect.objectContaining({ guest: 'svc', reason: 'fenced' }));
  });
});
