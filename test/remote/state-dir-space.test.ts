// A remote state directory that is full or read-only (docs/remote.md, "Faults"): the target's state
// directory lies on a small file system of its own (a tmpfs in sshd's mount namespace). A command
// that must write says so in one line naming the host, the directory and the system's reason, and
// changes nothing: no guest is started or stopped, and no fence is raised. Commands that only read
// go on working. Once there is room (or it is writable again) everything goes on.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

const asRoot = process.getuid?.() === 0;
const targets: SshTarget[] = [];
const fleets: RemoteFleet[] = [];
afterAll(async () => {
  for (const f of fleets) await f.cleanup();
  for (const t of targets) await t.stop();
});

async function onRunningFleet(): Promise<{ target: SshTarget; fleet: RemoteFleet }> {
  const target = await startSshTarget({ os: 'linux', smallFsKiB: 2048 });
  targets.push(target);
  const fleet = await remoteFleet(target, { stateDir: join(target.fsDir, 'state') });
  fleets.push(fleet);
  const apply = await fleet.cli(['apply']);
  expect(apply.exitCode, apply.stderr).toBe(0);
  const stop = await fleet.cli(['stop', 'telematics']);
  expect(stop.exitCode, stop.stderr).toBe(0);
  return { target, fleet };
}

async function refusesToWrite(fleet: RemoteFleet, reason: string): Promise<void> {
  const before = await fleet.qvmPids();
  expect(before.has('telematics')).toBe(false);
  for (const args of [['apply'], ['start', 'telematics'], ['shutdown', '--no-host']]) {
    const r = await fleet.cli(args);
    const what = `${args.join(' ')}: ${r.stdout}${r.stderr}`;
    expect(r.exitCode, what).not.toBe(0);
    expect(r.stderr, what).toContain(`qvmctl: state directory ${fleet.stateDir} on ssh://`);
    expect(r.stderr, what).toContain(` is not usable: ${reason}`);
    expect(r.stderr, what).not.toMatch(/\n\s+at /);
    expect(await fleet.qvmPids(), what).toEqual(before);
  }
  const status = await fleet.cli(['status']);
  expect(status.exitCode, status.stderr).toBe(0);
  expect(status.stdout).toMatch(/svc\s/);
  const plan = await fleet.cli(['plan']);
  expect(plan.exitCode, plan.stderr).toBe(0);
  expect(plan.stdout).toContain('telematics');
}

async function goesOn(fleet: RemoteFleet): Promise<void> {
  const apply = await fleet.cli(['apply']);
  expect(apply.exitCode, apply.stderr).toBe(0);
  expect((await fleet.qvmPids()).has('telematics')).toBe(true);
}

// Each test starts its own target and runs nine commands: more than the default minute under load.
describe.skipIf(!asRoot)('a remote state directory without room', { timeout: 150_000 }, () => {
  it('full: writes are refused with the reason, nothing is started or stopped; with room again it goes on', async () => {
    const { target, fleet } = await onRunningFleet();
    // Fills the file system to the last byte (cat ends with ENOSPC).
    await target.run(`cat /dev/zero > ${target.fsDir}/fill 2>/dev/null; exit 0`);
    await refusesToWrite(fleet, 'no space left on device (ENOSPC); free space or choose another with --state-dir');
    expect((await target.run(`rm ${target.fsDir}/fill`)).exitCode).toBe(0);
    await goesOn(fleet);
  });

  it('read-only: the same, and writable again it goes on', async () => {
    const { target, fleet } = await onRunningFleet();
    // A read-only bind mount over it: the guests' console logs, open for writing, keep their own.
    const ro = await target.run(`/bin/mount --bind ${target.fsDir} ${target.fsDir} && /bin/mount -o remount,bind,ro ${target.fsDir}`);
    expect(ro.exitCode, ro.stderr).toBe(0);
    await refusesToWrite(fleet, 'read-only file system (EROFS); remount it read-write or choose another with --state-dir');
    expect((await target.run(`/bin/umount ${target.fsDir}`)).exitCode).toBe(0);
    await goesOn(fleet);
  });
});
