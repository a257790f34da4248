// The manifest directory vanishes or is replaced while the daemon runs (prune on): no guest is
// stopped while it is gone, the daemon says so and keeps the last good desired state, and it
// converges again on what comes back, whether recreated or swapped in atomically by a deploy tool.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonHarness, guestYaml, hostYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';

let h: DaemonHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

async function startFleet(): Promise<{ h: DaemonHarness; pids: Map<string, number> }> {
  // A 1 s resync: when the watched directory itself is deleted, chokidar's watch may not survive,
  // and the periodic resync is what notices the directory coming back.
  const harness = (h = await createDaemonHarness({ prune: true, interval: '1s' }));
  await harness.write('alpha.yaml', guestYaml('alpha'));
  await harness.write('beta.yaml', guestYaml('beta'));
  await harness.commit('two guests');
  await harness.startDaemon();
  const pids = new Map<string, number>();
  for (const name of ['alpha', 'beta']) {
    const g = await waitFor(async () => { const s = await harness.guest(name); return s?.phase === 'running' ? s : undefined; }, { timeoutMs: 20_000 });
    pids.set(name, g.pid ?? 0);
  }
  return { h: harness, pids };
}

async function writeFleet(dir: string, stateDir: string, betaKnobs: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'host.yaml'), hostYaml(stateDir, { prune: true, interval: '1s' }));
  await writeFile(join(dir, 'alpha.yaml'), guestYaml('alpha'));
  await writeFile(join(dir, 'beta.yaml'), guestYaml('beta', { knobs: betaKnobs }));
}

describe('manifest directory faults (daemon, prune on)', () => {
  it('deleted: no guest stopped, reported, last good state kept; recreated: converges again', async () => {
    const { h, pids } = await startFleet();
    await rm(h.manifestDir, { recursive: true, force: true });
    const gone = await waitFor(async () => { const s = await h.status(); return s.manifests.status === 'unreadable' ? s : undefined; }, { timeoutMs: 20_000 });
    expect(gone.manifests.usingLastGood).toBe(true);
    // Several passes on the missing directory: every guest keeps its qvm.
    await waitFor(async () => (await h.status()).passes >= gone.passes + 2, { timeoutMs: 20_000 });
    for (const [name, pid] of pids) expect(await h.guest(name)).toMatchObject({ phase: 'running', pid });
    const warning = (await h.events()).find((e) => e.reason === 'ManifestInvalid');
    expect(warning?.message).toMatch(/cannot read manifest directory \(ENOENT\).*keeping the last good desired state/);

    await writeFleet(h.manifestDir, h.stateDir, 'boot-ms=60 shutdown-ms=50');
    const beta = await waitFor(async () => { const g = await h.guest('beta'); return g?.phase === 'running' && g.pid !== pids.get('beta') ? g : undefined; }, { timeoutMs: 20_000, message: 'beta restarted on the recreated manifests' });
    expect(beta.ready).toBe(true);
    expect(await h.guest('alpha')).toMatchObject({ phase: 'running', pid: pids.get('alpha') });
    expect((await h.status()).manifests).toMatchObject({ status: 'ok', usingLastGood: false });
    const journal = await h.journal();
    expect(journal.filter((l) => l.system === 'alpha' && l.event === 'signal')).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });

  it('replaced atomically (old moved aside, new moved in): converges to the new content', async () => {
    const { h, pids } = await startFleet();
    const next = join(h.root, 'manifests.next');
    await writeFleet(next, h.stateDir, 'boot-ms=70 shutdown-ms=50');
    await rename(h.manifestDir, join(h.root, 'manifests.old'));
    await rename(next, h.manifestDir);
    await waitFor(async () => { const g = await h.guest('beta'); return g?.phase === 'running' && g.pid !== pids.get('beta') ? g : undefined; }, { timeoutMs: 20_000, message: 'beta restarted on the new manifests' });
    expect(await h.guest('alpha')).toMatchObject({ phase: 'running', pid: pids.get('alpha') });
    const journal = await h.journal();
    expect(journal.filter((l) => l.system === 'alpha' && l.event === 'signal')).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });
});
