// Faults of the link to a remote host (docs/remote.md, "Faults"): an unreachable host, a refused key,
// an unknown or changed host key, and the link lost mid-start, mid-shutdown and under a running daemon.
// In every case: nothing is concluded about the guests, never a second qvm, never a SIGKILL, and the
// next run picks up where the lost one stopped.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/daemon/guest-status.js';
import { CLI_MAIN } from '../helpers/cli.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

const UNREACHABLE = 4;
const GUESTS = ['cluster', 'ivi', 'rear-seat', 'svc', 'telematics'];

let target: SshTarget;
const fleets: RemoteFleet[] = [];

beforeAll(async () => {
  target = await startSshTarget({ os: 'linux', binExtras: { shutdown: '#!/usr/bin/mksh\necho "$*" >> "$HOME/host-command.log"\n' } });
}, 60_000);

afterEach(async () => {
  // A test that failed half-way must not leave the next one without sshd.
  await target.startSshd();
  await Promise.all(fleets.splice(0).map((f) => f.cleanup()));
});

afterAll(async () => {
  await target.stop();
});

async function fleetFor(options: Parameters<typeof remoteFleet>[1] = {}): Promise<RemoteFleet> {
  const f = await remoteFleet(target, options);
  fleets.push(f);
  return f;
}

/** A copy of the target's ssh config with one setting replaced. */
async function configWith(name: string, key: string, value: string): Promise<string> {
  const text = await readFile(target.configFile, 'utf8');
  const file = join(target.dir, `ssh_config.${name}`);
  const pattern = new RegExp(`^(\\s*)${key}\\s.*$`, 'mi');
  if (!pattern.test(text)) throw new Error(`no ${key} in ${target.configFile}`);
  await writeFile(file, text.replace(pattern, `$1${key} ${value}`));
  return file;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function expectUnreachable(f: RemoteFleet, pattern: RegExp): Promise<void> {
  for (const args of [['status'], ['apply'], ['plan']]) {
    const r = await f.cli(args);
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(UNREACHABLE);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  expect(await f.qvmPids()).toEqual(new Map());
}

describe('a host that cannot be reached', () => {
  it('nothing listening: status, plan and apply say so and change nothing', async () => {
    const f = await fleetFor({ sshExtra: `      port: ${await freePort()}\n`, stateDir: join(target.dir, 'state-closed') });
    await expectUnreachable(f, /ssh:\/\/qnx-target:\d+ is unreachable: .*(refused|closed)/i);
  }, 60_000);

  it('a key the host does not accept: authentication refused, with what to check', async () => {
    const key = join(target.dir, 'stranger_key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { forceKillAfterDelay: false });
    const f = await fleetFor({ configFile: await configWith('stranger', 'IdentityFile', key), stateDir: join(target.dir, 'state-auth') });
    await expectUnreachable(f, /refused the authentication: check the key/);
  }, 60_000);

  it('a host key not in known_hosts is never accepted by itself', async () => {
    const empty = join(target.dir, 'known_hosts.empty');
    await writeFile(empty, '');
    const f = await fleetFor({ configFile: await configWith('unknown', 'UserKnownHostsFile', empty), stateDir: join(target.dir, 'state-unknown') });
    await expectUnreachable(f, /host key of .* is not known: connect once with `ssh qnx-target`/);
  }, 60_000);
});

describe('the link lost', () => {
  it('mid-start: the next apply adopts what was launched and starts the rest, one qvm per guest', async () => {
    const f = await fleetFor({ stateDir: join(target.dir, 'state-start') });
    const apply = f.cli(['apply']);
    // The first guest's monitor has written its qvm's PID on the host: cut the link now.
    await waitFor(async () => {
      const dirs = await readdir(join(f.stateDir, 'guests')).catch(() => []);
      for (const d of dirs) if ((await readdir(join(f.stateDir, 'guests', d))).some((n) => n.endsWith('.pid'))) return true;
      return undefined;
    }, { timeoutMs: 30_000, intervalMs: 5 });
    // The link goes down and stays down for the rest of this run (a mere blip is reconnected).
    await target.stopSshd();
    await f.cutLink();
    // The start under way fails (the pass reports the step; a pass that had not begun would exit 4).
    const lost = await apply;
    expect(lost.exitCode, `${lost.stdout}\n${lost.stderr}`).not.toBe(0);
    expect(`${lost.stdout}\n${lost.stderr}`).toMatch(/unreachable/);
    await target.startSshd();
    const again = await f.cli(['apply']);
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
    const pids = await f.qvmPids();
    expect([...pids.keys()].sort()).toEqual(GUESTS);
    for (const name of GUESTS) expect(pids.get(name), name).toHaveLength(1);
    expect((await f.cli(['plan', '--detailed-exitcode'])).exitCode).toBe(0);
    const down = await f.cli(['shutdown', '--no-host']);
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
  }, 180_000);

  it('mid-shutdown: the rerun finishes the sequence, and the host command runs once', async () => {
    const f = await fleetFor({ stateDir: join(target.dir, 'state-shutdown') });
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    const shutdown = f.cli(['shutdown']);
    // A stop ladder has begun on the host.
    await waitFor(async () => {
      for (const d of await readdir(join(f.stateDir, 'guests'))) {
        if ((await readdir(join(f.stateDir, 'guests', d))).includes('stop-request')) return true;
      }
      return undefined;
    }, { timeoutMs: 30_000, intervalMs: 5 });
    await target.stopSshd();
    await f.cutLink();
    const lost = await shutdown;
    expect(lost.exitCode, `${lost.stdout}\n${lost.stderr}`).not.toBe(0);
    expect(`${lost.stdout}\n${lost.stderr}`).toMatch(/unreachable/);
    await target.startSshd();
    const log = join(target.homeDir, 'host-command.log');
    const before = await readFile(log, 'utf8').catch(() => '');
    const rerun = await f.cli(['shutdown']);
    expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect(rerun.stdout).toMatch(/resum/i);
    expect(await f.qvmPids()).toEqual(new Map());
    expect((await readFile(log, 'utf8')).slice(before.length)).toBe('-b\n');
    expect((await f.cli(['fence', '--lift'])).exitCode).toBe(0);
  }, 180_000);

  it('under a running daemon: it starts and stops nothing while the host is out of sight, then goes on', async () => {
    const f = await fleetFor({ stateDir: join(target.dir, 'state-daemon') });
    const daemon = execa(process.execPath, [CLI_MAIN, 'run', '-f', f.manifests, '--log-format', 'json'], { reject: false, stdin: 'ignore', forceKillAfterDelay: false, env: { NO_COLOR: '1' } });
    const daemonStatus = async (): Promise<DaemonStatus | undefined> => {
      const r = await f.cli(['status', '-o', 'json']);
      if (r.exitCode !== 0) return undefined;
      // The Status document: the daemon's own state under `daemon`, the guests beside it (docs/cli.md).
      const parsed = JSON.parse(r.stdout) as { source: string; daemon: Omit<DaemonStatus, 'guests'> | null; guests: DaemonStatus['guests'] };
      return parsed.source === 'daemon' && parsed.daemon !== null ? { ...parsed.daemon, guests: parsed.guests, unmanaged: [] } : undefined;
    };
    try {
      const up = await waitFor(async () => {
        const s = await daemonStatus();
        return s !== undefined && s.guests.length === GUESTS.length && s.guests.every((g) => g.phase === 'running') ? s : undefined;
      }, { timeoutMs: 60_000, message: 'every guest runs' });
      const pids = new Map(up.guests.map((g) => [g.name, g.pid]));

      await target.stopSshd();
      await f.cutLink();
      const blind = await waitFor(async () => {
        const s = await daemonStatus();
        return s?.host.reachable === false ? s : undefined;
      }, { timeoutMs: 30_000, message: 'the daemon sees the host unreachable' });
      expect(blind.host.error).toMatch(/unreachable/);
      expect(blind.lastPass?.result).toBe('unreachable');
      // The guests are out of sight, not gone: the daemon's view keeps them, and they still run.
      expect(blind.guests.map((g) => g.pid)).toEqual(up.guests.map((g) => g.pid));
      const still = await f.qvmPids();
      for (const [name, pid] of pids) expect(still.get(name)).toEqual([pid]);

      await target.startSshd();
      const back = await waitFor(async () => {
        const s = await daemonStatus();
        return s?.host.reachable === true && s.lastPass?.result === 'ok' ? s : undefined;
      }, { timeoutMs: 30_000, message: 'the daemon reaches the host again' });
      expect(new Map(back.guests.map((g) => [g.name, g.pid]))).toEqual(pids);
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
    }
    expect((await f.cli(['shutdown', '--no-host'])).exitCode).toBe(0);
  }, 180_000);
});

describe('a host key that changed', () => {
  it('is refused with a warning and the fix; nothing is done', async () => {
    await target.rotateHostKey();
    const f = await fleetFor({ stateDir: join(target.dir, 'state-rotated') });
    await expectUnreachable(f, /host key of .* has CHANGED/);
  }, 60_000);
});
