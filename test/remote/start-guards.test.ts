// The guards of a start on an ssh host, under the guest's start lock (docs/remote.md): a second
// start of a guest whose qvm runs is refused with that qvm's PID, on a Linux target (the process
// table read with ps and grep) and on a QNX-like one (pidin), and starts nothing. The writes a
// pass left for that start's script are still made: a start that did not launch hands them on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyHistory } from '../../src/model/observed.js';
import { GuestAlreadyRunningError } from '../../src/runtime/errors.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget, type SshTargetOs } from '../helpers/ssh-target.js';

const targets: SshTarget[] = [];
const fleets: RemoteFleet[] = [];
// After each test: the targets share this machine's process table, and a qvm one leaves running
// is a qvm qvmctl did not start (running the same system) to the next.
afterEach(async () => {
  for (const f of fleets.splice(0)) await f.cleanup();
  for (const t of targets.splice(0)) await t.stop();
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

describe('the writes a pass left for a start that does not launch', () => {
  it('are made by the end of the pass all the same', async () => {
    const target = await startSshTarget({ os: 'linux' });
    targets.push(target);
    const fleet = await remoteFleet(target);
    fleets.push(fleet);
    const apply = await fleet.cli(['apply']);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const { desired, host } = await fleet.sshHost('carried');
    try {
      const spec = desired.guests.find((g) => g.name === 'svc');
      if (spec === undefined) throw new Error('no guest svc');
      const history = { ...emptyHistory('svc'), restarts: 41 };
      const refused = await host.withPassLock(async () => {
        // Inside a pass the history rides on the next script: this start, which is refused.
        await host.state.saveHistories([history]);
        return host.start(spec).then(() => undefined, (e: unknown) => e);
      });
      expect(refused).toBeInstanceOf(GuestAlreadyRunningError);
      const saved = JSON.parse(await readFile(join(fleet.stateDir, 'guests', 'svc', 'history.json'), 'utf8')) as { restarts: number };
      expect(saved.restarts).toBe(41);
    } finally {
      await host.close();
    }
  });
});
