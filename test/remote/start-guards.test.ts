// The guards of a start on an ssh host, under the guest's start lock (docs/remote.md): a second
// start of a guest whose qvm runs is refused with that qvm's PID, on a Linux target (the process
// table read with ps and grep) and on a QNX-like one (pidin), and starts nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { GuestAlreadyRunningError } from '../../src/runtime/errors.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget, type SshTargetOs } from '../helpers/ssh-target.js';

const targets: SshTarget[] = [];
const fleets: RemoteFleet[] = [];
afterAll(async () => {
  for (const f of fleets) await f.cleanup();
  for (const t of targets) await t.stop();
});

describe.each<SshTargetOs>(['linux', 'qnx'])('a start on a %s ssh host', (os) => {
  it('refuses a guest whose qvm runs, naming its PID, and starts no second qvm', async () => {
    const target = await startSshTarget({ os });
    targets.push(target);
    const fleet = await remoteFleet(target);
    fleets.push(fleet);
    const apply = await fleet.cli(['apply']);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const before = await fleet.qvmPids();
    const { desired, host } = await fleet.sshHost('guard');
    try {
      const spec = desired.guests.find((g) => g.name === 'svc');
      if (spec === undefined) throw new Error('no guest svc');
      const error = await host.start(spec).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(GuestAlreadyRunningError);
      expect((error as GuestAlreadyRunningError).pid).toBe(before.get('svc')?.[0]);
      expect(await fleet.qvmPids()).toEqual(before);
    } finally {
      await host.close();
    }
  });
});
