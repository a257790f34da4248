// `qvmctl release prepare|apply|verify|commit|rollback|status` by hand, against the simulator
// (docs/fleet.md, "Phases"): the happy path, each verb run again, the order they must come in, what a
// release drops, a verify that fails, and a release directory that is not safe to use.
import { chmod, mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/release/bundle.js';
import { runQvmctl } from '../helpers/cli.js';
import { concurrentInstances, liveInstances } from '../helpers/crash-fleet.js';
import { bootsOf, createReleaseFleet, type ReleaseFleet } from '../helpers/release-fleet.js';
import { snapshotTree } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let fleet: ReleaseFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

async function setUp(): Promise<ReleaseFleet> {
  fleet = await createReleaseFleet();
  return fleet;
}

async function ok(f: ReleaseFleet, verb: string, args: readonly string[] = []): Promise<string> {
  const r = await f.release(verb, args);
  expect(r.exitCode, `release ${verb}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function refused(f: ReleaseFleet, verb: string, args: readonly string[], message: string | RegExp): Promise<void> {
  const r = await f.release(verb, args);
  expect(r.exitCode, `release ${verb}\n${r.stdout}\n${r.stderr}`).toBe(1);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

async function install(f: ReleaseFleet, bundle: string): Promise<void> {
  await ok(f, 'prepare', [bundle]);
  await ok(f, 'apply', [bundle]);
  await ok(f, 'verify', [bundle, '--stable', '300ms']);
  await ok(f, 'commit', [bundle]);
}

// Each test runs a dozen qvmctl processes one after another, on a shared machine.
describe('qvmctl release', { timeout: 240_000 }, () => {
  it('prepares, applies, verifies and commits; each verb run again changes nothing', async () => {
    const f = await setUp();
    const r1 = await f.bundle('r1', [{ name: 'svc' }, { name: 'app', dependsOn: ['svc'] }]);

    const prepared = await ok(f, 'prepare', [r1]);
    expect(prepared).toMatch(/^staged: release [0-9a-f]{12} \(no git revision\) in .*; `qvmctl release apply` would:\n\+ start app/);
    expect(await f.journal()).toEqual([]);
    expect(await ok(f, 'prepare', [r1])).toMatch(/^already staged: /);
    expect((await f.status()).release).toMatchObject({ phase: 'prepared', committed: false, applied: null });

    expect(await ok(f, 'apply')).toMatch(/applied \(run `qvmctl release verify` next\): release [0-9a-f]{12} \(no git revision\) applied, NOT committed \(not verified yet\); nothing committed yet/);
    expect(await ok(f, 'apply')).toContain('Nothing to do.');
    expect(await ok(f, 'verify', ['--stable', '300ms'])).toMatch(/^✓ verified in [\d.]+ s/);
    expect(await ok(f, 'commit')).toMatch(/^committed: release [0-9a-f]{12} \(no git revision\) applied, committed$/);
    expect(await ok(f, 'commit', [r1])).toMatch(/^already committed: /);

    const status = await runQvmctl(['status', '-f', f.releaseDir]);
    expect(status.stdout).toMatch(/^release [0-9a-f]{12} \(no git revision\) applied, committed\nGUEST /);
    const digest = (await f.status()).release.applied?.digest ?? '';
    expect(await readlink(join(f.releaseDir, 'manifests'))).toBe(`trees/${digest.replace('sha256:', '')}`);
    // The release directory is a manifest source like any other, and the host matches it.
    const plan = await runQvmctl(['plan', '--detailed-exitcode', '-f', f.releaseDir]);
    expect(plan.exitCode, plan.stdout).toBe(0);
    const inventory = await ok(f, 'status', ['--inventory']);
    expect(inventory).toBe(`qvmctl_release=${digest.slice(7, 19)}\nqvmctl_release_revision=none\nqvmctl_release_committed=yes\nqvmctl_release_phase=committed`);
    const journal = await f.journal();
    expect(bootsOf(journal, 'svc')).toHaveLength(1);
    expect(bootsOf(journal, 'app')).toHaveLength(1);
  });

  it('refuses verbs out of order, each with one line naming what to do, and changes nothing', async () => {
    const f = await setUp();
    const r1 = await f.bundle('r1', [{ name: 'svc' }]);
    const r2 = await f.bundle('r2', [{ name: 'svc', knobs: 'boot-ms=50 shutdown-ms=40' }]);
    await mkdir(f.releaseDir, { mode: 0o700 });
    await refused(f, 'apply', [], /^qvmctl: no release is staged: nothing to apply; run `qvmctl release prepare BUNDLE` first$/);
    await ok(f, 'prepare', [r1]);
    await refused(f, 'verify', [], /is prepared: it is not applied yet: run `qvmctl release apply`$/);
    await refused(f, 'commit', [], /is prepared, not verified: run `qvmctl release verify` first \(only a verified release is committed\)$/);
    await refused(f, 'apply', [r2], /^qvmctl: the staged release is [0-9a-f]{12} \(no git revision\), not this bundle's [0-9a-f]{12}: apply it by the staged bundle, or roll it back first$/);
    await ok(f, 'apply');
    await refused(f, 'prepare', [r2], /^qvmctl: release [0-9a-f]{12} \(no git revision\) is applied: commit it or roll it back before preparing another; nothing was changed$/);
    await refused(f, 'commit', [], /is applied, not verified/);
    await ok(f, 'verify', ['--stable', '200ms']);
    await ok(f, 'commit');
    await refused(f, 'rollback', [], /^qvmctl: no release is staged \([0-9a-f]{12} \(no git revision\) is committed\): nothing to rollback; run `qvmctl release prepare BUNDLE` first$/);
    // A damaged bundle is refused before anything is read from the release directory.
    const before = await snapshotTree(f.releaseDir);
    await refused(f, 'prepare', [join(f.root, 'src', 'r1')], /^qvmctl: bundle .* is not valid: not a regular file; not read; nothing was changed$/);
    expect(await snapshotTree(f.releaseDir)).toEqual(before);
  });

  it('stops what a release drops, whatever prune says, and a rollback stops what the release added', async () => {
    const f = await setUp();
    await install(f, await f.bundle('r1', [{ name: 'svc' }, { name: 'old', dependsOn: ['svc'] }]));
    const r2 = await f.bundle('r2', [{ name: 'svc' }, { name: 'new', dependsOn: ['svc'] }]);
    await ok(f, 'prepare', [r2]);
    await ok(f, 'apply', [r2]);
    let live = liveInstances(await waitFor(async () => {
      const j = await f.journal();
      return liveInstances(j).get('old')?.length === 0 && liveInstances(j).get('new')?.length === 1 ? j : undefined;
    }));
    expect(live.get('svc')).toHaveLength(1);
    const rolledBack = await ok(f, 'rollback', [r2]);
    expect(rolledBack).toMatch(/rolled back: release [0-9a-f]{12} \(no git revision\) applied, committed; [0-9a-f]{12} \(no git revision\) was rolled back$/);
    expect(await ok(f, 'rollback', [r2])).toMatch(/^nothing to roll back: /);
    const journal = await f.journal();
    live = liveInstances(journal);
    expect(live.get('old')).toHaveLength(1);
    expect(live.get('new')).toEqual([]);
    expect(bootsOf(journal, 'svc'), 'svc was never restarted').toHaveLength(1);
    expect(concurrentInstances(journal)).toEqual([]);
  });

  it('fails verification at once for a guest held on its old configuration, and at the deadline for one not up long enough', async () => {
    const f = await setUp();
    await install(f, await f.bundle('r1', [{ name: 'svc', update: 'window' }]));
    // update: window and no maintenance window: the change is held, the guest keeps the old configuration.
    const r2 = await f.bundle('r2', [{ name: 'svc', update: 'window', knobs: 'boot-ms=50 shutdown-ms=40' }]);
    await ok(f, 'prepare', [r2]);
    await ok(f, 'apply');
    const held = await f.release('verify', ['--timeout', '30s']);
    expect(held.exitCode).toBe(1);
    expect(held.stderr).toMatch(/^✗ svc runs another configuration than this release's \(config changed; update: window, but no maintenance window is configured \(hash [0-9a-f]+ → [0-9a-f]+\)\)$/m);
    expect((await f.status()).release).toMatchObject({ phase: 'applied', committed: false });
    await ok(f, 'rollback');

    const r3 = await f.bundle('r3', [{ name: 'svc', update: 'window' }, { name: 'gps' }]);
    await ok(f, 'prepare', [r3]);
    await ok(f, 'apply');
    const slow = await f.release('verify', ['--timeout', '1s', '--stable', '1h']);
    expect(slow.exitCode).toBe(1);
    expect(slow.stderr).toMatch(/✗ not there after 1 s: gps has run [\d.]+ s of 3600\.0 s/);
    const status = await f.release('status');
    expect(status.stdout).toMatch(/\nlast: verify [0-9a-f]{12} FAILED at .*: verify failed: not there after 1 s/);
  });

  it('rolls back a release that was only prepared by dropping it, and one never staged by doing nothing', async () => {
    const f = await setUp();
    const r1 = await f.bundle('r1', [{ name: 'svc' }]);
    const r2 = await f.bundle('r2', [{ name: 'svc' }, { name: 'new' }]);
    await install(f, r1);
    const journal = await f.journal();
    // As after a failed prepare: Mender still calls ArtifactRollback with the bundle.
    expect(await ok(f, 'rollback', [r2])).toMatch(/^nothing to roll back: release [0-9a-f]{12} \(no git revision\) applied, committed$/);
    await ok(f, 'prepare', [r2]);
    expect(await ok(f, 'rollback', [r2])).toMatch(/^dropped release [0-9a-f]{12} \(no git revision\): it was prepared, not applied: release [0-9a-f]{12} \(no git revision\) applied, committed; [0-9a-f]{12} \(no git revision\) was rolled back$/);
    expect(await f.journal()).toEqual(journal);
    expect((await f.status()).release).toMatchObject({ phase: 'rolled-back', committed: true });
  });

  it('refuses a release that moves the host, and a first release has nothing to roll back to', async () => {
    const f = await setUp();
    const r1 = await f.bundle('r1', [{ name: 'svc' }]);
    await ok(f, 'prepare', [r1]);
    await ok(f, 'apply');
    const rollback = await f.release('rollback');
    expect(rollback.exitCode).toBe(1);
    expect(rollback.stderr).toMatch(/^qvmctl: there is no committed release to return to: the guests of release [0-9a-f]{12} \(no git revision\) are left as they are/);
    expect(liveInstances(await f.journal()).get('svc')).toHaveLength(1);
    expect((await f.status()).release).toMatchObject({ phase: 'rolled-back', committed: false });

    const moved = await f.bundle('moved', [{ name: 'svc' }], { stateDir: join(f.root, 'other-state') });
    await refused(f, 'prepare', [moved], /the bundle's Host is not the host release [0-9a-f]{12} drives \(connection, state directory or qvm differ\): a release changes guests, not the host; nothing was changed$/);
  });

  it('refuses at prepare a bundle whose manifests do not load on this device, naming file and line, and stages nothing', async () => {
    const f = await setUp();
    const bundle = join(f.root, 'bad.qvmb');
    const manifest = 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: svc }\nspec:\n  qvm: { configFile: /etc/elsewhere/svc.qvmconf }\n';
    await writeFile(bundle, writeBundle([{ path: 'svc.yaml', data: Buffer.from(manifest) }], null).bytes);
    const r = await f.release('prepare', [bundle]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${f.releaseDir}/trees/[0-9a-f]{64}/svc\\.yaml:5:\\d+: error: .*\\nqvmctl: the manifests of release [0-9a-f]{12} are invalid; nothing was changed$`));
    expect((await f.release('status')).stdout).toBe('release: none applied yet');
    expect(await f.journal()).toEqual([]);
  });

  it('refuses a release directory others can write, or that is a link', async () => {
    const f = await setUp();
    const r1 = await f.bundle('r1', [{ name: 'svc' }]);
    await mkdir(f.releaseDir, { mode: 0o700 });
    await chmod(f.releaseDir, 0o777);
    await refused(f, 'prepare', [r1], `qvmctl: release directory ${f.releaseDir} is writable by group or others (mode 0777); run \`chmod 700 ${f.releaseDir}\``);
    await chmod(f.releaseDir, 0o700);
    const link = join(f.root, 'link');
    await symlink(f.releaseDir, link);
    const r = await f.release('prepare', [r1, '--release-dir', link]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`qvmctl: release directory ${link} is a symbolic link; give its real path with --release-dir`);
    expect(await f.journal()).toEqual([]);
  });
});
