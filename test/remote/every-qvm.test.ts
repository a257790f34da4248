// Every qvm is seen over ssh too (docs/runtime.md, "Which processes are qvm"): on
// a QNX-like host, qvm started by hand with stacked configurations without the .qvmconf suffix and
// with inline options only are seen by pidin as unmanaged, with their system names; the shutdown is
// refused (and its dry run exits 3), or, leaving them, blocked (exit 2): the host's `shutdown` never runs.
// On a Linux host, a qvm binary whose name does not say qvm is seen as well.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { readSimJournal, SIM_MAIN, simConf } from '../helpers/sim-guest.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

let target: SshTarget;
let fleet: RemoteFleet | undefined;
// The example Host's shutdown command is `shutdown -b`: on the target it only logs that it ran.
beforeAll(async () => { target = await startSshTarget({ os: 'qnx', binExtras: { shutdown: '#!/usr/bin/mksh\nprint -r -- "$*" >> "$HOME/host-command.log"\n' } }); }, 60_000);
afterAll(async () => {
  await fleet?.cleanup();
  await target.stop();
});

describe('qvm started by hand on an ssh host, whatever their arguments', () => {
  it('are unmanaged with their system names, and keep the host command from running', async () => {
    fleet = await remoteFleet(target);
    expect((await target.run('cat > base', { input: simConf('ivi', 'boot-ms=20 shutdown-ms=20') })).exitCode).toBe(0);
    expect((await target.run('cat > extra', { input: 'cpu\n' })).exitCode).toBe(0);
    // The sessions hold them (no detachment): each ends when its guest does.
    const stacked = target.run('exec qvm @$HOME/base @$HOME/extra', { timeoutMs: 120_000 });
    const inline = target.run('exec qvm system cluster ram 0x80000000,64M cpu', { timeoutMs: 120_000 });
    const running = (system: string) => waitFor(() => readSimJournal(target.simDir).find((l) => l.event === 'running' && l.system === system), { message: `${system} started by hand` });
    const [ivi, cluster] = [await running('ivi'), await running('cluster')];

    const plan = await fleet.cli(['plan']);
    expect(plan.stdout).toContain(`qvm pid ${ivi.pid}, not started by qvmctl, runs system ivi`);
    expect(plan.stdout).toContain(`qvm pid ${cluster.pid}, not started by qvmctl, runs system cluster`);
    const pids = [ivi.pid, cluster.pid].sort((a, b) => a - b);

    const dry = await fleet.cli(['shutdown', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(3);
    expect(dry.stderr).toContain(`the shutdown would be refused: unmanaged qvm processes ${pids.join(', ')} (shutdown.unmanaged: refuse)`);
    const refused = await fleet.cli(['shutdown']);
    expect(refused.exitCode, refused.stdout).toBe(3);
    expect(refused.stdout).toContain(`unmanaged qvm processes ${pids.join(', ')} (shutdown.unmanaged: refuse)`);
    expect((await fleet.cli(['shutdown', '--dry-run', '--unmanaged', 'leave'])).exitCode).toBe(2);
    const left = await fleet.cli(['shutdown', '--unmanaged', 'leave']);
    expect(left.exitCode, left.stdout).toBe(2);
    expect(left.stdout).toContain(`unmanaged qvm pid ${pids[0] ?? 0} left running (shutdown.unmanaged: leave)`);
    expect((await target.run('cat host-command.log')).exitCode).not.toBe(0);

    expect((await target.run('qvm-sim guest ivi shutdown')).exitCode).toBe(0);
    expect((await target.run('qvm-sim guest cluster shutdown')).exitCode).toBe(0);
    await Promise.all([stacked, inline]);
    // Once no qvm lives, the same shutdown runs the host command (the stand-in logs it).
    const done = await fleet.cli(['shutdown']);
    expect(done.exitCode, done.stdout).toBe(0);
    expect((await target.run('cat host-command.log')).stdout).toBe('-b\n');
  });
});

describe('a qvm binary that is not named qvm, on a Linux ssh host', () => {
  it('is seen when it runs by hand, with nothing on its command line that says qvm', async () => {
    const linux = await startSshTarget({ os: 'linux' });
    // The binary lies outside every directory whose name holds "qvm" (the target's own has qvmctl).
    const hv = mkdtempSync(join(tmpdir(), 'hv-'));
    let other: RemoteFleet | undefined;
    let pid = 0;
    try {
      symlinkSync(SIM_MAIN, join(hv, 'vmm'));
      writeFileSync(join(linux.binDir, 'vmm'), `#!/usr/bin/mksh\nexport QVM_SIM_DIR=${linux.simDir}\nexec ${process.execPath} ${join(hv, 'vmm')} "$@"\n`, { mode: 0o755 });
      other = await remoteFleet(linux, { qvmPath: 'vmm' });
      const byHand = linux.run('exec vmm system cluster ram 0x80000000,64M cpu', { timeoutMs: 120_000 });
      pid = (await waitFor(() => readSimJournal(linux.simDir).find((l) => l.event === 'running' && l.system === 'cluster'), { message: 'cluster started by hand' })).pid;
      const plan = await other.cli(['plan']);
      expect(plan.stdout).toContain(`qvm pid ${pid}, not started by qvmctl, runs system cluster`);
      const dry = await other.cli(['shutdown', '--dry-run']);
      expect(dry.exitCode, dry.stderr).toBe(3);
      expect(dry.stderr).toContain(`unmanaged qvm process ${pid} (shutdown.unmanaged: refuse)`);
      expect((await linux.run('qvm-sim guest cluster shutdown')).exitCode).toBe(0);
      await byHand;
      pid = 0;
    } finally {
      if (pid > 0) process.kill(pid, 'SIGTERM');
      await other?.cleanup();
      await linux.stop();
      rmSync(hv, { recursive: true, force: true });
    }
  }, 120_000);
});
