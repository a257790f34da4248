// Compaction on a QNX-like host reached over ssh (mksh and toybox on the target, pidin): what
// earlier runs left is removed at the first pass, and a guest that crashes and is restarted again
// and again keeps a flat number of files in its directory on the host (docs/runtime.md, "Compaction").
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { parseIdentity } from '../../src/runtime/state/identity.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

let target: SshTarget;
let fleet: RemoteFleet;
const guestDir = (): string => join(fleet.stateDir, 'guests', 'telematics');

beforeAll(async () => {
  target = await startSshTarget({ os: 'qnx' });
  fleet = await remoteFleet(target);
  // A leaf of the fleet, restarted at once after every crash: only the compaction bounds its files.
  await appendFile(join(fleet.manifests, 'telematics.yaml'), '  restart: { onFailure: restart, backoff: { initial: 0s }, maxFailures: { count: 1000 }, startLimit: { interval: 0s } }\n');
  const applied = await fleet.cli(['apply']);
  expect(applied.exitCode, applied.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await fleet.cleanup();
  await target.stop();
});

async function files(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : Promise.resolve([`${prefix}${e.name}`]))));
  return nested.flat().sort();
}

async function telematics(): Promise<GuestStatus | undefined> {
  const r = await fleet.cli(['status', '-o', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { guests: GuestStatus[] }).guests.find((g) => g.name === 'telematics');
}

/** The simulator's journal on the target: a guest takes commands once it has booted. */
async function booted(pid: number): Promise<boolean> {
  const text = await readFile(join(target.simDir, 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.startsWith('{')).some((l) => { const j = JSON.parse(l) as { pid: number; event: string }; return j.pid === pid && j.event === 'running'; });
}

describe('compaction over ssh', () => {
  it('the first pass removes what earlier runs left: old records, PID files in exits/, stale launch records, unused configs', { timeout: 60_000 }, async () => {
    const dir = guestDir();
    const identity = parseIdentity('telematics', JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')));
    if (identity === undefined) throw new Error('telematics has no identity');
    const live = (await files(dir)).filter((f) => f.startsWith('run-'));
    expect(live).toEqual([`run-${identity.runId}.launch.json`, `run-${identity.runId}.pid`]);
    await mkdir(join(dir, 'exits'), { recursive: true });
    const old = [1, 2, 3, 4, 5, 6].map((n) => `${1_600_000_000_000 + n}-0000000${n}`);
    for (const id of old) {
      await writeFile(join(dir, 'exits', `run-${id}.exit.json`), `{"runId":"${id}","pid":${100 + Number(id.slice(-1))},"status":96,"startedAt":1,"at":2,"requested":false}\n`, { mode: 0o600 });
      await writeFile(join(dir, 'exits', `run-${id}.pid`), '100\n', { mode: 0o600 });
    }
    await writeFile(join(dir, `run-${old[5] ?? ''}.launch.json`), '{"runId":"x"}\n', { mode: 0o600 });
    await writeFile(join(dir, `run-${old[5] ?? ''}.pid`), '100\n', { mode: 0o600 });
    await writeFile(join(dir, '0123abcd.qvmconf'), 'system telematics\n', { mode: 0o600 });

    const applied = await fleet.cli(['apply']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const left = await files(dir);
    expect(left.filter((f) => f.startsWith('exits/'))).toEqual(old.slice(-3).map((id) => `exits/run-${id}.exit.json`));
    expect(left.filter((f) => f.startsWith('run-'))).toEqual(live);
    expect(left.filter((f) => f.endsWith('.qvmconf'))).toEqual([identity.confPath.slice(identity.confPath.lastIndexOf('/') + 1)]);
    expect((await telematics())?.pid).toBe(identity.pid);
  });

  it('8 crash/restart cycles: at most 10 files for the guest on the host, and status counts every restart', { timeout: 180_000 }, async () => {
    const before = (await telematics())?.restarts ?? 0;
    let most = 0;
    for (let i = 0; i < 8; i += 1) {
      const running = await waitFor(async () => { const g = await telematics(); return g?.phase === 'running' && g.pid !== undefined && (await booted(g.pid)) ? g : undefined; }, { timeoutMs: 20_000, message: `running ${i}` });
      const crash = await target.run('qvm-sim guest telematics crash');
      expect(crash.exitCode, crash.stderr).toBe(0);
      await waitFor(async () => (await telematics())?.pid !== running.pid || undefined, { timeoutMs: 20_000, message: `crash ${i}` });
      const applied = await fleet.cli(['apply']);
      expect(applied.exitCode, applied.stderr).toBe(0);
      most = Math.max(most, (await files(guestDir())).length);
    }
    const after = await telematics();
    expect(after).toMatchObject({ phase: 'running', restarts: before + 8, lastExit: { code: 96 } });
    const left = await files(guestDir());
    most = Math.max(most, left.length);
    expect(most, left.join('\n')).toBeLessThanOrEqual(10);
    expect(left.filter((f) => f.startsWith('exits/'))).toHaveLength(3);
    expect(left.filter((f) => f.startsWith('run-'))).toHaveLength(2);
  });
});
