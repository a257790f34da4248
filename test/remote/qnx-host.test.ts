// The same fleet on a target that says it is QNX (`uname -s`): the process table then comes from
// pidin (the simulator's stand-in on this machine), so the QNX reader runs end to end over ssh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

let target: SshTarget;
let fleet: RemoteFleet;

beforeAll(async () => {
  target = await startSshTarget({ os: 'qnx' });
  fleet = await remoteFleet(target);
}, 60_000);

afterAll(async () => {
  await fleet.cleanup();
  await target.stop();
});

describe('a QNX host over ssh (pidin)', () => {
  it('applies the fleet, sees every guest by pidin, and stops them all', async () => {
    const applied = await fleet.cli(['apply']);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    const status = await fleet.cli(['status', '-o', 'json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const guests = (JSON.parse(status.stdout) as { guests: GuestStatus[] }).guests;
    expect(guests.map((g) => g.phase)).toEqual(guests.map(() => 'running'));
    const pids = await fleet.qvmPids();
    for (const g of guests) expect(pids.get(g.name)).toEqual([g.pid]);
    // pidin's start times (`Mon DD HH:MM`, local time) are what identity is verified by.
    const plan = await fleet.cli(['plan', '--detailed-exitcode']);
    expect(plan.exitCode, plan.stdout).toBe(0);
    const down = await fleet.cli(['shutdown', '--no-host']);
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(await fleet.qvmPids()).toEqual(new Map());
  }, 240_000);
});
