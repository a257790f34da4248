// One qvm per system name over ssh (docs/runtime.md): a qvm started by hand on a
// QNX-like host, from a configuration file of its own, is seen by pidin, its system name is read
// from that file on the host, and the example fleet's guest of that name is held, never started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { readSimJournal, simConf } from '../helpers/sim-guest.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

let target: SshTarget;
let fleet: RemoteFleet | undefined;
beforeAll(async () => { target = await startSshTarget({ os: 'qnx' }); }, 60_000);
afterAll(async () => {
  await fleet?.cleanup();
  await target.stop();
});

describe('a qvm started by hand on an ssh host', () => {
  it('holds the guest whose system it runs, and what needs it; the rest of the fleet starts', async () => {
    fleet = await remoteFleet(target);
    expect((await target.run('cat > by-hand.qvmconf', { input: simConf('ivi', 'boot-ms=20 shutdown-ms=20') })).exitCode).toBe(0);
    // The session holds it (no detachment): it ends when the guest does.
    const byHand = target.run('exec qvm @$HOME/by-hand.qvmconf', { timeoutMs: 120_000 });
    const running = await waitFor(() => readSimJournal(target.simDir).find((l) => l.event === 'running' && l.system === 'ivi'), { message: 'ivi started by hand' });

    const plan = await fleet.cli(['plan']);
    expect(plan.stdout).toContain(`qvm pid ${running.pid}, not started by qvmctl, runs system ivi`);
    const apply = await fleet.cli(['apply']);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const pids = await fleet.qvmPids();
    expect([...pids.keys()].sort()).toEqual(['cluster', 'svc', 'telematics']);
    expect(readSimJournal(target.simDir).filter((l) => l.event === 'refused')).toEqual([]);

    expect((await target.run('qvm-sim guest ivi shutdown')).exitCode).toBe(0);
    await byHand;
  });
});
