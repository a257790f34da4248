// The Update Module script (support/mender/qvmctl) as Mender calls it, `qvmctl STATE WORKDIR`, run
// by /bin/sh with a stand-in qvmctl that records its arguments: the answers to Mender's questions,
// which phases each state runs and in what order, how a failure and a death by signal are reported.
// The real client drives it against the simulator in mender-standalone.test.ts.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { MODULE_SCRIPT } from '../helpers/mender-device.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const INVENTORY_SCRIPT = resolve(import.meta.dirname, '..', '..', 'support', 'mender', 'mender-inventory-qvmctl');

let root: string | undefined;
afterEach(async () => {
  if (root !== undefined) await removeDir(root);
  root = undefined;
});

interface Module {
  readonly workdir: string;
  run(state: string, settings?: Record<string, string>): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  calls(): Promise<string[]>;
}

// A stand-in qvmctl: logs `verb args…`; exits with $FAIL_<verb> (or kills itself with $KILL_<verb>).
async function createModule(bundles: readonly string[]): Promise<Module> {
  root = await makeTempDir('module');
  const dir = root;
  const workdir = join(dir, 'payloads', '0000', 'tree');
  await mkdir(join(workdir, 'files'), { recursive: true });
  for (const b of bundles) await writeFile(join(workdir, 'files', b), 'bundle');
  const stub = join(dir, 'qvmctl');
  await writeFile(stub, `#!/bin/sh
echo "$*" >> ${dir}/calls
eval "fail=\\\${FAIL_$2:-0}; kill=\\\${KILL_$2:-}"
echo "qvmctl $2 says hello"
[ -n "$kill" ] && kill -KILL $$
exit "$fail"
`);
  await chmod(stub, 0o755);
  const config = join(dir, 'mender.conf');
  await writeFile(config, `QVMCTL=${stub}\nQVMCTL_VERIFY_STABLE=3s\n`);
  return {
    workdir,
    async run(state, settings = {}) {
      const r = await execa('/bin/sh', [MODULE_SCRIPT, state, workdir], { reject: false, cwd: workdir, stdin: 'ignore', env: { PATH: process.env['PATH'] ?? '', QVMCTL_MENDER_CONFIG: config, ...settings }, extendEnv: false, forceKillAfterDelay: false });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    calls: async () => (await readFile(join(dir, 'calls'), 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0),
  };
}

describe('the qvmctl Update Module', () => {
  it('answers Mender\'s questions and ignores the states it has nothing to do in', async () => {
    const m = await createModule(['fleet.qvmb']);
    expect(await m.run('NeedsArtifactReboot')).toMatchObject({ exitCode: 0, stdout: 'No' });
    expect(await m.run('SupportsRollback')).toMatchObject({ exitCode: 0, stdout: 'Yes' });
    for (const state of ['Download', 'Cleanup', 'ArtifactVerifyReboot', 'SomethingNew']) expect(await m.run(state)).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(await m.calls()).toEqual([]);
  });

  it('runs prepare, apply and verify in ArtifactInstall, commit and rollback in theirs, with the bundle; all its output to stderr', async () => {
    const m = await createModule(['fleet.qvmb']);
    const bundle = join(m.workdir, 'files', 'fleet.qvmb');
    const install = await m.run('ArtifactInstall');
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toBe('');
    expect(install.stderr).toContain('qvmctl verify says hello');
    expect(await m.run('ArtifactCommit')).toMatchObject({ exitCode: 0 });
    expect(await m.run('ArtifactRollback', { QVMCTL_STATE_DIR: '/var/qvmctl' })).toMatchObject({ exitCode: 0 });
    expect(await m.run('ArtifactFailure')).toMatchObject({ exitCode: 0 });
    expect(await m.calls()).toEqual([
      `release prepare ${bundle}`,
      `release apply ${bundle}`,
      `release verify ${bundle} --timeout 2m --stable 3s`,
      `release commit ${bundle}`,
      `release rollback ${bundle} --state-dir /var/qvmctl`,
      'release status',
    ]);
  });

  it('stops at the first phase that fails, with its exit code, and says when qvmctl was killed', async () => {
    const m = await createModule(['fleet.qvmb']);
    const failed = await m.run('ArtifactInstall', { FAIL_apply: '3' });
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toMatch(/qvmctl module: qvmctl release apply failed \(exit code 3\)$/);
    expect((await m.calls()).map((c) => c.split(' ')[1])).toEqual(['prepare', 'apply']);
    const killed = await m.run('ArtifactInstall', { KILL_verify: '1' });
    expect(killed.exitCode).toBe(137);
    expect(killed.stderr).toMatch(/qvmctl module: qvmctl release verify was killed \(signal 9\); running it again finishes it$/);
    // A failing ArtifactFailure changes nothing Mender decides: it still exits 0.
    expect((await m.run('ArtifactFailure', { FAIL_status: '1' })).exitCode).toBe(0);
  });

  it('refuses an Artifact without exactly one bundle, naming what it found', async () => {
    const none = await createModule([]);
    expect(await none.run('ArtifactInstall')).toMatchObject({ exitCode: 1, stderr: 'qvmctl module: expected one qvmctl bundle (*.qvmb) in the Artifact, found: nothing' });
    await removeDir(root ?? '');
    const two = await createModule(['a.qvmb', 'b.qvmb']);
    expect(await two.run('ArtifactCommit')).toMatchObject({ exitCode: 1, stderr: 'qvmctl module: expected one qvmctl bundle (*.qvmb) in the Artifact, found: a.qvmb b.qvmb' });
    expect(await two.calls()).toEqual([]);
  });

  it('the inventory script reports the release, or none when there is no release directory', async () => {
    const m = await createModule([]);
    const stub = join(root ?? '', 'inventory-qvmctl');
    await writeFile(stub, '#!/bin/sh\n[ -n "$QVMCTL_RELEASE_DIR" ] || exit 1\necho "qvmctl_release=3f2a91c0d1e2"\n');
    await chmod(stub, 0o755);
    const config = join(root ?? '', 'inventory.conf');
    await writeFile(config, `QVMCTL=${stub}\nQVMCTL_RELEASE_DIR=/var/lib/qvmctl/release\n`);
    const run = (conf: string) => execa('/bin/sh', [INVENTORY_SCRIPT], { reject: false, env: { PATH: process.env['PATH'] ?? '', QVMCTL_MENDER_CONFIG: conf }, extendEnv: false, forceKillAfterDelay: false });
    expect((await run(config)).stdout).toBe('qvmctl_release=3f2a91c0d1e2');
    await writeFile(config, `QVMCTL=${stub}\n`);
    expect(await run(config)).toMatchObject({ exitCode: 0, stdout: 'qvmctl_release=none' });
    expect(m.workdir).toContain('payloads');
  });
});
