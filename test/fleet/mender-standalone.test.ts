// The real Mender client in standalone mode (`mender install`, `commit`, `rollback`) with the qvmctl
// Update Module of support/mender/, against the simulator: the three scenarios of docs/fleet.md,
// "Tested with the real client". Without mender-client and mender-artifact these fail, saying to
// run .ci/run; they are never skipped.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concurrentInstances, liveInstances, unparsableStateFiles } from '../helpers/crash-fleet.js';
import { createMenderDevice, requireMender, type MenderDevice, type MenderRun } from '../helpers/mender-device.js';
import { bootsOf, createReleaseFleet, type ReleaseFleet, type ReleaseGuest } from '../helpers/release-fleet.js';
import { waitFor } from '../helpers/wait-for.js';

let fleet: ReleaseFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

beforeAll(() => {
  requireMender();
});

const RELEASE_1: readonly ReleaseGuest[] = [{ name: 'svc' }, { name: 'app' }];
// svc gets a new configuration, extra is new, app is unchanged.
const RELEASE_2: readonly ReleaseGuest[] = [{ name: 'svc', knobs: 'boot-ms=60 shutdown-ms=40' }, { name: 'app' }, { name: 'extra', dependsOn: ['svc'] }];
// As release 2, but its new guest crashes shortly after it is up.
// gps crashes after its start grace (500 ms: the apply succeeds) and well before it has run verify's
// `--stable` (3 s below), a second's margin either side, so that verify is what fails on a busy host.
const RELEASE_2_BAD: readonly ReleaseGuest[] = [{ name: 'svc', knobs: 'boot-ms=60 shutdown-ms=40' }, { name: 'app' }, { name: 'gps', knobs: 'boot-ms=40 crash-after-ms=1500' }];

async function setUp(verifyStable?: string): Promise<{ f: ReleaseFleet; device: MenderDevice }> {
  fleet = await createReleaseFleet();
  return { f: fleet, device: await createMenderDevice(join(fleet.root, 'device'), { releaseDir: fleet.releaseDir, ...(verifyStable === undefined ? {} : { verifyStable }) }) };
}

function expectOk(run: MenderRun, what: string): void {
  expect(run.exitCode, `${what}\n${run.output}`).toBe(0);
}

async function installAndCommit(f: ReleaseFleet, device: MenderDevice, name: string, guests: readonly ReleaseGuest[]): Promise<string> {
  const artifact = await device.artifact(await f.bundle(name, guests), name);
  const install = await device.install(artifact);
  expectOk(install, `mender install ${name}`);
  expect(install.output).toContain("Use 'commit' to update");
  expect((await f.status()).release).toMatchObject({ phase: 'verified', committed: false });
  expectOk(await device.commit(), `mender commit ${name}`);
  expect(await device.showArtifact()).toBe(name);
  return artifact;
}

// What runs is what `release` says, each guest exactly once, nothing else; every state file parses.
async function expectRunning(f: ReleaseFleet, running: readonly string[], stopped: readonly string[]): Promise<void> {
  const journal = await waitFor(async () => {
    const lines = await f.journal();
    const live = liveInstances(lines);
    return running.every((n) => live.get(n)?.length === 1) && stopped.every((n) => (live.get(n) ?? []).length === 0) ? lines : undefined;
  }, { timeoutMs: 15_000, message: `running ${running.join(', ')}; stopped ${stopped.join(', ')}` });
  expect(concurrentInstances(journal)).toEqual([]);
  const status = await f.status();
  for (const name of running) expect(status.guests.find((g) => g.name === name)?.phase, `${name} runs`).toBe('running');
  expect(await unparsableStateFiles(f.stateDir)).toEqual([]);
}

// Each test runs several installs, each a few qvmctl processes under the Mender client.
describe('Mender standalone mode with the qvmctl Update Module', { timeout: 300_000 }, () => {
  it('installs a release that converges, commits it, then installs and commits the next one', async () => {
    const { f, device } = await setUp();
    await installAndCommit(f, device, 'release-1', RELEASE_1);
    await expectRunning(f, ['svc', 'app'], []);
    const appBefore = bootsOf(await f.journal(), 'app');

    await installAndCommit(f, device, 'release-2', RELEASE_2);
    await expectRunning(f, ['svc', 'app', 'extra'], []);
    const journal = await f.journal();
    expect(bootsOf(journal, 'svc'), 'svc restarted once for its new configuration').toHaveLength(2);
    expect(bootsOf(journal, 'app'), 'app untouched').toEqual(appBefore);
    const status = await f.status();
    expect(status.release).toMatchObject({ phase: 'committed', committed: true });
    // A second commit finds nothing to commit (Mender's exit code 2), and changes nothing.
    expect((await device.commit()).exitCode).toBe(2);
    expect((await f.status()).release).toMatchObject({ phase: 'committed', committed: true });
  });

  it('rolls back a release whose verify fails to the previous guests', async () => {
    const { f, device } = await setUp('3s');
    await installAndCommit(f, device, 'release-1', RELEASE_1);
    const before = await f.journal();
    const committed = (await f.status()).release.applied?.digest;

    const bad = await device.artifact(await f.bundle('release-2-bad', RELEASE_2_BAD), 'release-2-bad');
    const install = await device.install(bad);
    expect(install.exitCode, install.output).toBe(1);
    expect(install.output).toMatch(/gps is not running, last exit 96/);
    expect(install.output).toContain('Rolling back Artifact');
    expect(await device.showArtifact()).toBe('release-1');

    await expectRunning(f, ['svc', 'app'], ['gps']);
    const journal = await f.journal();
    expect(bootsOf(journal, 'app'), 'app kept its qvm throughout').toEqual(bootsOf(before, 'app'));
    // svc: release 1, then release 2's configuration, then release 1's again.
    expect(bootsOf(journal, 'svc')).toHaveLength(3);
    const status = await f.status();
    expect(status.release).toMatchObject({ phase: 'rolled-back', committed: true, applied: { digest: committed } });
    const plan = await f.release('status');
    expect(plan.stdout).toMatch(/was rolled back/);
  });

  it('recovers from a crash of qvmctl in the middle of an install', async () => {
    const { f, device } = await setUp();
    await installAndCommit(f, device, 'release-1', RELEASE_1);
    const before = await f.journal();
    const artifact = await device.artifact(await f.bundle('release-2', RELEASE_2), 'release-2');

    // qvmctl kills itself (SIGKILL) once the first step of the apply has ended; Mender rolls back.
    const crashed = await device.install(artifact, { QVMCTL_CRASH_AT: 'release:apply-mid-pass' });
    expect(crashed.exitCode, crashed.output).toBe(1);
    expect(crashed.output).toMatch(/qvmctl release apply was killed \(signal 9\)/);
    expect(crashed.output).toContain('Rolling back Artifact');
    await expectRunning(f, ['svc', 'app'], ['extra']);
    expect(bootsOf(await f.journal(), 'app')).toEqual(bootsOf(before, 'app'));
    expect((await f.status()).release).toMatchObject({ phase: 'rolled-back', committed: true });

    // The same Artifact again, without the crash: it converges and commits.
    const again = await device.install(artifact);
    expectOk(again, 'mender install release-2 again');
    expectOk(await device.commit(), 'mender commit release-2');
    await expectRunning(f, ['svc', 'app', 'extra'], []);
    expect(bootsOf(await f.journal(), 'app')).toEqual(bootsOf(before, 'app'));
    expect((await f.status()).release).toMatchObject({ phase: 'committed', committed: true });
  });
});
