// The example fleet on a QNX-like host reached over real ssh (sshd on loopback, mksh, toybox, the
// simulator as qvm): plan, apply, status, the daemon with a guest reboot and `why`, and the host
// shutdown ending with the host command run on the host (docs/remote.md).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { CLI_MAIN } from '../helpers/cli.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

const GUESTS = ['cluster', 'ivi', 'rear-seat', 'svc', 'telematics'];

let target: SshTarget;
let fleet: RemoteFleet;

beforeAll(async () => {
  target = await startSshTarget({ os: 'linux', binExtras: { shutdown: '#!/usr/bin/mksh\necho "$*" >> "$HOME/host-command.log"\n' } });
  fleet = await remoteFleet(target);
}, 60_000);

afterAll(async () => {
  await fleet.cleanup();
  await target.stop();
});

async function status(): Promise<{ source: string; guests: GuestStatus[] }> {
  const r = await fleet.cli(['status', '-o', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { source: string; guests: GuestStatus[] };
}

describe('the example fleet over ssh', () => {
  it('plans, applies, shows status and then plans no change', async () => {
    const planned = await fleet.cli(['plan', '--detailed-exitcode']);
    expect(planned.exitCode, planned.stderr).toBe(2);
    expect(planned.stdout).toMatch(/Plan: 5 to start/);

    const applied = await fleet.cli(['apply']);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);

    const seen = await status();
    expect(seen.guests.map((g) => [g.name, g.phase])).toEqual(GUESTS.map((n) => [n, 'running']));
    // One qvm per guest on the host, each the process status names.
    const pids = await fleet.qvmPids();
    for (const g of seen.guests) expect(pids.get(g.name)).toEqual([g.pid]);

    // Every command after the first used the master the first one left persisting: one ssh
    // connection, not one more in the background for every command.
    expect(await fleet.masters()).toHaveLength(1);

    const again = await fleet.cli(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.stdout).toBe(0);
  }, 120_000);

  it('runs as a daemon: a guest that reboots from inside is started again, and why says so', async () => {
    const before = new Map((await status()).guests.map((g) => [g.name, g.pid]));
    const daemon = execa(process.execPath, [CLI_MAIN, 'run', '-f', fleet.manifests, '--log-format', 'json'], { reject: false, stdin: 'ignore', forceKillAfterDelay: false, env: { NO_COLOR: '1' } });
    try {
      await waitFor(async () => (await status()).source === 'daemon' || undefined, { timeoutMs: 30_000, message: 'the daemon answers' });
      const reboot = await target.run('qvm-sim guest ivi reboot');
      expect(reboot.exitCode, reboot.stderr).toBe(0);
      const restarted = await waitFor(async () => {
        const ivi = (await status()).guests.find((g) => g.name === 'ivi');
        return ivi?.phase === 'running' && ivi.pid !== before.get('ivi') ? ivi : undefined;
      }, { timeoutMs: 40_000, message: 'ivi started again' });
      expect(restarted.restarts).toBe(1);
      const why = await fleet.cli(['why', 'ivi']);
      expect(why.exitCode, why.stderr).toBe(0);
      expect(why.stdout).toMatch(/reboot/);
      // Nothing else was touched.
      const after = await status();
      for (const g of after.guests.filter((x) => x.name !== 'ivi')) expect(g.pid).toBe(before.get(g.name));
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
    }
    // The daemon's end stops nothing.
    const pids = await fleet.qvmPids();
    expect([...pids.keys()].sort()).toEqual(GUESTS);
  }, 120_000);

  it('shuts the host down: every guest stopped, then the host command on the host', async () => {
    const r = await fleet.cli(['shutdown']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await fleet.qvmPids()).toEqual(new Map());
    expect(await readFile(join(target.homeDir, 'host-command.log'), 'utf8')).toBe('-b\n');
    const fence = await fleet.cli(['fence', '-o', 'json']);
    expect(JSON.parse(fence.stdout)).toMatchObject({ fenced: true });
    const lifted = await fleet.cli(['fence', '--lift']);
    expect(lifted.exitCode).toBe(0);
  }, 120_000);
});
