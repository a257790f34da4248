// Without a daemon, `status` told a guest whose stop got stuck from a healthy one
// by nothing (`running`, ready `yes`). The guest ignores its power button and has no shutdown
// command, so a one-off `qvmctl stop` runs out of steps and leaves it running.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestStatus } from '../../src/planner/guest-status.js';
import { createCrashFleet, liveInstances, type CrashFleet } from '../helpers/crash-fleet.js';
import { CLI, createDaemonHarness, GUEST_TIMEOUT, guestYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';
import { execa } from 'execa';

let fleet: CrashFleet | undefined;
let daemon: DaemonHarness | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
  await daemon?.cleanup();
  daemon = undefined;
});

async function localStatus(f: CrashFleet, name: string): Promise<GuestStatus | undefined> {
  const r = await f.cli(['status', '-o', 'json']);
  expect(r.exitCode, r.output).toBe(0);
  const answer = JSON.parse(r.output.slice(0, r.output.lastIndexOf('}') + 1)) as { source: string; guests: GuestStatus[] };
  expect(answer.source).toBe('local');
  return answer.guests.find((g) => g.name === name);
}

describe('offline status of a guest whose stop got stuck', () => {
  it('shows it `stopping`, not ready, and says what that means; a healthy guest stays `running`', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base', { knobs: 'boot-ms=20 ignore-power-button', guestCommand: false });
    await f.writeGuest('other');
    const file = join(f.manifests, 'base.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('powerButtonTimeout: 5s', 'powerButtonTimeout: 300ms'));
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    const before = await localStatus(f, 'base');
    expect(before).toMatchObject({ phase: 'running', ready: true, stopRequested: false });

    const stop = await f.cli(['stop', 'base']);
    expect(stop.exitCode).toBe(1);
    expect(stop.output).toMatch(/stuck/);
    const pid = liveInstances(await f.journal()).get('base');
    expect(pid).toEqual([before?.pid]);

    expect(await localStatus(f, 'base')).toMatchObject({ desired: 'running', phase: 'stopping', ready: false, stopRequested: true, pid: before?.pid });
    expect(await localStatus(f, 'other')).toMatchObject({ phase: 'running', ready: true, stopRequested: false });
    const text = await f.cli(['status']);
    expect(text.output).toMatch(new RegExp(`^base\\s+running\\s+stopping\\s+no\\s+${String(before?.pid)}\\s`, 'm'));
    expect(text.output).toMatch(/^other\s+running\s+running\s+yes\s/m);
    expect(text.output).toContain(`base: a stop was asked of qvm (pid ${String(before?.pid)}) and it still runs`);
    // Looking changed nothing: the guest still runs, once, and nothing was signalled again.
    expect(liveInstances(await f.journal()).get('base')).toEqual([before?.pid]);
    expect(journalViolations(await f.journal())).toEqual([]);
  });

  it('a daemon started after the stop got stuck shows it `stopping` too, and leaves it as it is', async () => {
    const h = (daemon = await createDaemonHarness({ interval: '1s' }));
    await h.write('base.yaml', guestYaml('base', { knobs: 'boot-ms=20 shutdown-ms=50 ignore-power-button ignore-guest-shutdown' }).replace(`guestTimeout: ${GUEST_TIMEOUT}`, 'guestTimeout: 200ms').replace('powerButtonTimeout: 3s', 'powerButtonTimeout: 200ms'));
    await h.commit('base');
    await h.startDaemon();
    const running = await waitFor(async () => { const g = await h.guest('base'); return g?.phase === 'running' && g.ready ? g : undefined; }, { timeoutMs: 20_000 });
    await h.stopDaemon();
    const stop = await execa(process.execPath, [CLI, 'stop', 'base', '-f', h.manifestDir, '--state-dir', h.stateDir], { reject: false, env: { NO_COLOR: '1' } });
    expect(stop.exitCode).toBe(1);
    expect(`${stop.stdout}${stop.stderr}`).toMatch(/stuck/);
    await h.startDaemon();
    const seen = await waitFor(async () => { const s = await h.status(); return s.passes >= 2 ? s : undefined; }, { timeoutMs: 20_000 });
    expect(seen.guests.find((g) => g.name === 'base')).toMatchObject({ phase: 'stopping', ready: false, stopRequested: true, pid: running.pid });
    expect(liveInstances(await h.journal()).get('base')).toEqual([running.pid]);
  });
});
