// Issue case 8: lost or corrupt state. A running qvm whose identity record is gone (its state
// deleted under it) or unreadable is identified again by the config path it was launched with:
// no second qvm is started for it, and a host shutdown stops it instead of refusing it.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { previewPass, runPass } from '../../src/executor/reconcile-pass.js';
import { runShutdownSequence } from '../../src/executor/shutdown-sequence.js';
import { guestSpec, useHarness } from '../helpers/runtime-harness.js';
import { desiredFleet, readHostLog, testHost, withDeps } from '../helpers/shutdown-fleet.js';

const h = useHarness();

const base = guestSpec('base');
const app = withDeps(guestSpec('app'), ['base']);
const hmi = withDeps(guestSpec('hmi'), ['app']);

async function applied(): Promise<Map<string, number>> {
  const desired = desiredFleet([base, app, hmi], testHost(h.stateDir));
  const pass = await runPass({ desired, runtime: h.runtime, explicit: true });
  expect(pass.execution.ok).toBe(true);
  return new Map((await h.runtime.observe()).guests.map((g) => [g.name, g.pid]));
}

/** Everything qvmctl keeps in the state directory, gone (the simulator's own directory stays: it is the "hardware"). */
async function deleteQvmctlState(): Promise<void> {
  for (const entry of await readdir(h.stateDir)) if (entry !== 'sim') await rm(join(h.stateDir, entry), { recursive: true, force: true, maxRetries: 20 });
}

describe('lost or corrupt state', () => {
  it('state deleted under running guests: each qvm is still its guest, nothing is started twice', async () => {
    const pids = await applied();
    await deleteQvmctlState();
    const fresh = h.newRuntime(); // a new qvmctl process
    const observed = await fresh.observe();
    expect(new Map(observed.guests.map((g) => [g.name, g.pid]))).toEqual(pids);
    expect(observed.unmanaged).toEqual([]);
    const desired = desiredFleet([base, app, hmi], testHost(h.stateDir));
    const preview = await previewPass({ desired, runtime: fresh, explicit: true });
    expect(preview.plan.changes).toEqual([]);
    await runPass({ desired, runtime: fresh, explicit: true });
    const boots = (await h.journal()).filter((l) => l.event === 'boot');
    expect(boots).toHaveLength(3);
  });

  it('a corrupt identity record and no launch record: the host shutdown stops that guest too, then runs the host command', async () => {
    const pids = await applied();
    const dir = join(h.stateDir, 'guests', 'app');
    await writeFile(join(dir, 'identity.json'), '{"name": "app", "pid": ');
    // The launch record would let the run be adopted: lost as well, only the config path is left.
    for (const file of await readdir(dir)) if (file.endsWith('.launch.json')) await rm(join(dir, file));
    const result = await runShutdownSequence({ desired: desiredFleet([base, app, hmi], testHost(h.stateDir, 'refuse')), runtime: h.newRuntime(), mode: 'poweroff' });
    expect(result).toMatchObject({ status: 'completed', ok: true, host: { ran: true } });
    expect(result.guests.map((g) => [g.guest, g.end]).sort()).toEqual([['app', 'stopped'], ['base', 'stopped'], ['hmi', 'stopped']]);
    expect(result.guests.find((g) => g.guest === 'app')).toMatchObject({ kind: 'managed' });
    const exits = (await h.journal()).filter((l) => l.event === 'exit').map((l) => l.pid).sort();
    expect(exits).toEqual([...pids.values()].sort());
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
  });
});
