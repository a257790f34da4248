// qvmctl killed (SIGKILL) at the crash point of each release phase, then the verb run again
// (docs/fleet.md, "Phases"; docs/reliability.md, "Crash points"): the record says the last phase that
// completed, the rerun does only what is left, and no guest runs twice.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrentInstances, liveInstances, unparsableStateFiles } from '../helpers/crash-fleet.js';
import { bootsOf, createReleaseFleet, type ReleaseFleet, type ReleaseGuest } from '../helpers/release-fleet.js';
import { waitFor } from '../helpers/wait-for.js';

let fleet: ReleaseFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

const R1: readonly ReleaseGuest[] = [{ name: 'svc' }, { name: 'app' }];
const R2: readonly ReleaseGuest[] = [{ name: 'svc', knobs: 'boot-ms=50 shutdown-ms=40' }, { name: 'app' }, { name: 'extra', dependsOn: ['svc'] }];

async function ok(f: ReleaseFleet, verb: string, args: readonly string[] = []): Promise<string> {
  const r = await f.release(verb, args);
  expect(r.exitCode, `release ${verb}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function crash(f: ReleaseFleet, verb: string, args: readonly string[], point: string): Promise<void> {
  const r = await f.release(verb, args, point);
  expect(r.signal, `release ${verb} died at ${point}\n${r.stdout}\n${r.stderr}`).toBe('SIGKILL');
}

async function phase(f: ReleaseFleet): Promise<string> {
  return ((JSON.parse(await readFile(join(f.releaseDir, 'release.json'), 'utf8')) as { phase: string }).phase);
}

async function committedR1(f: ReleaseFleet): Promise<string> {
  const r1 = await f.bundle('r1', R1);
  for (const verb of ['prepare', 'apply']) await ok(f, verb, verb === 'prepare' ? [r1] : []);
  await ok(f, 'verify', ['--stable', '200ms']);
  await ok(f, 'commit');
  return f.bundle('r2', R2);
}

// Each of `running` runs exactly once, nothing else of the releases runs, every file parses.
async function expectRunning(f: ReleaseFleet, running: readonly string[], stopped: readonly string[] = []): Promise<void> {
  const journal = await waitFor(async () => {
    const j = await f.journal();
    const live = liveInstances(j);
    return running.every((n) => live.get(n)?.length === 1) && stopped.every((n) => (live.get(n) ?? []).length === 0) ? j : undefined;
  }, { timeoutMs: 15_000, message: `running ${running.join(', ')}` });
  expect(concurrentInstances(journal)).toEqual([]);
  expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
  expect(await unparsableStateFiles(f.releaseDir)).toEqual([]);
}

// Each test runs a dozen qvmctl processes one after another, on a shared machine.
describe('crash points of the release phases', { timeout: 240_000 }, () => {
  it('release:prepare-after-store: the tree is stored, the record not written; prepare again stages it', async () => {
    fleet = await createReleaseFleet();
    const f = fleet;
    const r1 = await f.bundle('r1', R1);
    await crash(f, 'prepare', [r1], 'release:prepare-after-store');
    expect(await phase(f).catch(() => 'none')).toBe('none');
    expect(await ok(f, 'prepare', [r1])).toMatch(/^staged: /);
    expect(await phase(f)).toBe('prepared');
    expect(await f.journal()).toEqual([]);
  });

  it('release:apply-mid-pass: apply again finishes the convergence, each guest once', async () => {
    fleet = await createReleaseFleet();
    const f = fleet;
    const r2 = await committedR1(f);
    const appBefore = bootsOf(await f.journal(), 'app');
    await ok(f, 'prepare', [r2]);
    await crash(f, 'apply', [], 'release:apply-mid-pass');
    expect(await phase(f)).toBe('applying');
    expect((await f.release('status')).stdout).toMatch(/applied in part, NOT committed \(apply did not finish: run it again, or roll back\)/);
    expect((await f.release('verify')).stderr).toMatch(/its apply did not finish: run `qvmctl release apply` again/);
    await ok(f, 'apply');
    await ok(f, 'verify', ['--stable', '200ms']);
    await ok(f, 'commit');
    await expectRunning(f, ['svc', 'app', 'extra']);
    const journal = await f.journal();
    expect(bootsOf(journal, 'svc')).toHaveLength(2);
    expect(bootsOf(journal, 'extra')).toHaveLength(1);
    expect(bootsOf(journal, 'app')).toEqual(appBefore);
  });

  it('release:verify-before-record: not verified until verify runs again; commit waits for it', async () => {
    fleet = await createReleaseFleet();
    const f = fleet;
    const r2 = await committedR1(f);
    await ok(f, 'prepare', [r2]);
    await ok(f, 'apply');
    await crash(f, 'verify', ['--stable', '200ms'], 'release:verify-before-record');
    expect(await phase(f)).toBe('applied');
    expect((await f.release('commit')).stderr).toMatch(/is applied, not verified: run `qvmctl release verify` first/);
    await ok(f, 'verify', ['--stable', '200ms']);
    await ok(f, 'commit');
    await expectRunning(f, ['svc', 'app', 'extra']);
  });

  it('release:commit-after-record: committed; commit again removes the trees no longer needed', async () => {
    fleet = await createReleaseFleet();
    const f = fleet;
    const r2 = await committedR1(f);
    await ok(f, 'prepare', [r2]);
    await ok(f, 'apply');
    await ok(f, 'verify', ['--stable', '200ms']);
    await crash(f, 'commit', [], 'release:commit-after-record');
    expect(await phase(f)).toBe('committed');
    expect(await readdir(join(f.releaseDir, 'trees'))).toHaveLength(2);
    expect(await ok(f, 'commit', [r2])).toMatch(/^already committed: release [0-9a-f]{12} \(no git revision\) applied, committed$/);
    expect(await readdir(join(f.releaseDir, 'trees'))).toHaveLength(1);
    await expectRunning(f, ['svc', 'app', 'extra']);
  });

  it('release:rollback-after-pass: the host is back; rollback again records it, restarting nothing', async () => {
    fleet = await createReleaseFleet();
    const f = fleet;
    const r2 = await committedR1(f);
    await ok(f, 'prepare', [r2]);
    await ok(f, 'apply');
    await crash(f, 'rollback', [], 'release:rollback-after-pass');
    expect(await phase(f)).toBe('rolling-back');
    expect((await f.release('status')).stdout).toMatch(/being rolled back, NOT committed \(rollback did not finish: run it again\)/);
    expect((await f.release('apply')).stderr).toMatch(/did not finish: run `qvmctl release rollback` to finish it/);
    expect((await f.release('prepare', [r2])).stderr).toMatch(/is rolling-back: commit it or roll it back|did not finish: run `qvmctl release rollback` first/);
    const svcBoots = bootsOf(await f.journal(), 'svc').length;
    expect(await ok(f, 'rollback', [r2])).toContain('Nothing to do.');
    await expectRunning(f, ['svc', 'app'], ['extra']);
    expect(bootsOf(await f.journal(), 'svc')).toHaveLength(svcBoots);
    expect(await phase(f)).toBe('rolled-back');
  });
});
