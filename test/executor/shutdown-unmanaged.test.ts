// Unmanaged qvm processes under each `shutdown.unmanaged` policy, and the fence as a pass sees it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { previewPass } from '../../src/executor/reconcile-pass.js';
import { runShutdownSequence } from '../../src/executor/shutdown-sequence.js';
import { SIMULATOR_ENTRY, SIMULATOR_NODE_FLAGS } from '../../src/runtime/qvm-command.js';
import { guestSpec, signalsIn, useHarness } from '../helpers/runtime-harness.js';
import { desiredFleet, readHostLog, testHost } from '../helpers/shutdown-fleet.js';
import { waitFor } from '../helpers/wait-for.js';

const h = useHarness();

// A qvm someone started by hand: its configuration lies in this state directory (this simulated host).
async function startStray(knobs = 'boot-ms=50 shutdown-ms=50'): Promise<{ pid: number; exitCode: () => Promise<number | undefined> }> {
  const conf = join(h.stateDir, 'stray.qvmconf');
  await writeFile(conf, guestSpec('stray', { knobs }).qvmconf);
  const stray = execa(process.execPath, [...SIMULATOR_NODE_FLAGS, SIMULATOR_ENTRY, `@${conf}`], {
    detached: true, cleanup: false, forceKillAfterDelay: false, stdio: 'ignore', reject: false,
    env: { QVM_SIM_DIR: join(h.stateDir, 'sim') },
  });
  await waitFor(async () => (await h.journal()).some((l) => l.system === 'stray' && l.event === 'running'), { timeoutMs: 20_000 });
  return { pid: stray.pid ?? 0, exitCode: async () => (await stray).exitCode };
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
