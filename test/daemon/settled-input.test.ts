// An editor writes a manifest in place in two steps, and the first half happens to
// be valid. The daemon must act on settled input only: in a git checkout on the commit (the edit is
// committed once complete), in a plain directory once the file has been unchanged for the debounce
// window. Either way each affected guest (a base and its 15 dependents) restarts exactly once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createDaemonHarness, guestYaml, hostYaml, overlappingRuns, waitFor, type DaemonHarness, type HarnessOptions, type HostOptions } from '../helpers/daemon-harness.js';
import { journalViolations, type JournalLine } from '../helpers/runtime-harness.js';

const DEPENDENTS = Array.from({ length: 15 }, (_, i) => `dep${String(i + 1).padStart(2, '0')}`);
const ALL = ['base', ...DEPENDENTS];

// Two vCPUs, so that a copy cut after the first `cpu` line is still a valid manifest (with another config).
function baseYaml(bootMs: number): string {
  return `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: base }
spec:
  qvm:
    config: |
      # qvm-sim: boot-ms=${bootMs} shutdown-ms=50
      system base
      ram 0x80000000,64M
      cpu
      cpu
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    guestTimeout: 3s
    powerButtonTimeout: 3s
`;
}

const EDITED = baseYaml(60);
/** What the editor's first write leaves: the first 10 lines. */
const FIRST_HALF = `${EDITED.split('\n').slice(0, 10).join('\n')}\n`;

let current: DaemonHarness | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

async function startFleet(host: HostOptions, options: HarnessOptions = {}): Promise<{ h: DaemonHarness; pids: Map<string, number> }> {
  const h = (current = await createDaemonHarness(host, options));
  await h.write('base.yaml', baseYaml(50));
  for (const name of DEPENDENTS) await h.write(`${name}.yaml`, guestYaml(name, { spec: '  dependsOn: [base]\n' }));
  if (options.git !== false) await h.commit('base and 15 dependents');
  await h.startDaemon();
  const pids = await waitFor(async () => {
    const s = await h.status();
    const running = s.guests.filter((g) => g.phase === 'running' && g.ready && g.pid !== undefined);
    return running.length === ALL.length ? new Map(running.map((g) => [g.name, g.pid ?? 0])) : undefined;
  }, { timeoutMs: 60_000, message: 'the fleet runs' });
  return { h, pids };
}

/** Boots per system of a qvm other than the one it ran at the start (the journal's boot line of
 * a qvm may come after the daemon reports it running: the simulator is a node process). */
function restarts(journal: readonly JournalLine[], initial: ReadonlyMap<string, number>): Map<string, number> {
  const boots = new Map<string, number>();
  for (const l of journal) if (l.event === 'boot' && l.pid !== initial.get(l.system)) boots.set(l.system, (boots.get(l.system) ?? 0) + 1);
  return boots;
}

/** Waits until every guest runs, ready, on a qvm other than the one in `before`, and the journal has its boot. */
async function allRestarted(h: DaemonHarness, before: ReadonlyMap<string, number>): Promise<void> {
  const now = await waitFor(async () => {
    const s = await h.status();
    const pids = new Map(s.guests.map((g) => [g.name, g.phase === 'running' && g.ready ? g.pid : undefined]));
    return ALL.every((name) => pids.get(name) !== undefined && pids.get(name) !== before.get(name)) ? pids : undefined;
  }, { timeoutMs: 60_000, message: 'every guest restarted once on the complete edit' });
  // The daemon reports a qvm running once it is launched; the simulator (a node process) writes its
  // journal line a little later.
  await waitFor(async () => {
    const booted = new Set((await h.journal()).filter((l) => l.event === 'boot').map((l) => l.pid));
    return ALL.every((name) => booted.has(now.get(name) ?? -1));
  }, { timeoutMs: 20_000, message: 'the journal shows each new qvm' });
}

async function expectOneRestartEach(h: DaemonHarness, initial: ReadonlyMap<string, number>): Promise<void> {
  const journal = await h.journal();
  const boots = restarts(journal, initial);
  const twice = ALL.filter((name) => (boots.get(name) ?? 0) !== 1);
  // On failure: what the journal and the daemon's log say about those guests.
  const detail = twice.length === 0 ? '' : JSON.stringify({
    journal: journal.filter((l) => twice.includes(l.system)),
    log: (await h.log()).filter((l) => twice.includes(String(l['guest'])) || String(l['msg']).includes('manifests')).map((l) => [l['time'], l['pass'], l['guest'], l['msg']]),
  }, null, 1);
  expect(Object.fromEntries(ALL.map((name) => [name, boots.get(name) ?? 0])), detail).toEqual(Object.fromEntries(ALL.map((name) => [name, 1])));
  expect(overlappingRuns(journal)).toEqual([]);
  expect(journalViolations(journal)).toEqual([]);
}

describe('the daemon acts on settled input only', () => {
  it('the truncated first half is itself a valid manifest with another configuration', async () => {
    // Without this the two tests below would prove nothing: an invalid half is kept out anyway.
    const dir = await mkdtemp(join(tmpdir(), 'qvmctl-half-'));
    try {
      await writeFile(join(dir, 'host.yaml'), hostYaml(join(dir, 'state')));
      await writeFile(join(dir, 'base.yaml'), FIRST_HALF);
      const half = await loadManifests({ dir });
      await writeFile(join(dir, 'base.yaml'), EDITED);
      const whole = await loadManifests({ dir });
      await writeFile(join(dir, 'base.yaml'), baseYaml(50));
      const before = await loadManifests({ dir });
      const hash = (r: typeof half): string | undefined => r.desired?.guests.find((g) => g.name === 'base')?.configHash;
      expect(half.status).toBe('ok');
      expect(new Set([hash(half), hash(whole), hash(before)]).size).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('git checkout: the working tree is never applied, the commit is, once', async () => {
    // No periodic resync: every pass below comes from a file event (the working tree, or git's refs).
    const { h, pids } = await startFleet({ debounce: '100ms', interval: '10m' });
    const first = await h.git('rev-parse', 'HEAD');
    expect((await h.status()).manifests).toMatchObject({ source: 'git', head: first, commit: first, workingTreeDiffers: false, status: 'ok' });
    const since = Date.now();
    const passAfter = (time: number) => waitFor(async () => {
      const s = await h.status();
      return s.lastPass !== undefined && s.lastPass.startedAt > time ? s : undefined;
    }, { timeoutMs: 20_000, message: 'a pass after the write' });

    // The editor's first write: a pass sees the change (the working tree now differs from the
    // applied commit) and applies nothing; nor once the editor has written the rest.
    await h.write('base.yaml', FIRST_HALF);
    const seen = await waitFor(async () => { const s = await h.status(); return s.manifests.workingTreeDiffers === true ? s : undefined; }, { timeoutMs: 20_000, message: 'a pass saw the half-written file' });
    expect(seen.manifests).toMatchObject({ source: 'git', commit: first, head: first });
    expect(seen.lastPass?.revision).toEqual({ commit: first, dirty: true });
    const rest = Date.now();
    await h.write('base.yaml', EDITED);
    expect((await passAfter(rest)).manifests).toMatchObject({ commit: first, workingTreeDiffers: true });
    expect(restarts(await h.journal(), pids).size).toBe(0);
    for (const [name, pid] of pids) expect((await h.guest(name))?.pid).toBe(pid);

    // The commit changes no file of the working tree: the daemon sees it through git's refs.
    await h.commit('base: boot-ms 60');
    const second = await h.git('rev-parse', 'HEAD');
    await allRestarted(h, pids);
    const after = await waitFor(async () => { const s = await h.status(); return s.manifests.commit === second && s.manifests.workingTreeDiffers === false ? s : undefined; }, { timeoutMs: 20_000 });
    expect(after.manifests).toMatchObject({ head: second, status: 'ok', usingLastGood: false });
    expect(after.manifests.appliedAt).toBeGreaterThanOrEqual(since);
    await expectOneRestartEach(h, pids);
  });

  it('plain directory: a file is used once it has been unchanged for the debounce window', async () => {
    // A 5 s window, and a resync every 500 ms: passes run while the file is half-written (before,
    // any pass would have read the valid half and acted on it).
    const { h, pids } = await startFleet({ debounce: '5s', interval: '500ms' }, { git: false });
    expect((await h.status()).manifests).toMatchObject({ source: 'directory', unsettled: [], status: 'ok' });

    await h.write('base.yaml', FIRST_HALF);
    const written = Date.now();
    // The gap until the rest is written: until a pass has seen the half-written file (and kept it out).
    const seen = await waitFor(async () => {
      const s = await h.status();
      return s.manifests.unsettled?.includes('base.yaml') === true && s.lastPass !== undefined && s.lastPass.startedAt > written ? s : undefined;
    }, { timeoutMs: 4_000, message: 'a pass saw base.yaml unsettled' });
    expect(seen.manifests).toMatchObject({ status: 'ok', usingLastGood: true });
    expect(restarts(await h.journal(), pids).size).toBe(0);

    await h.write('base.yaml', EDITED);
    await allRestarted(h, pids);
    expect((await h.status()).manifests).toMatchObject({ unsettled: [], usingLastGood: false, status: 'ok' });
    await expectOneRestartEach(h, pids);
    // The wait was logged, not reported as an error.
    const log = await h.log();
    expect(log.some((l) => String(l['msg']).includes('waiting for them to settle (base.yaml)'))).toBe(true);
    expect((await h.events()).filter((e) => e.reason === 'ManifestInvalid')).toEqual([]);
  });
});
