// `qvmctl bundle`, and a bundle given as `-f` to validate, render and plan (docs/fleet.md, "Bundles in
// every command"): the example fleet in a git checkout, what goes in, what a bad bundle says.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/release/bundle.js';
import { copyExampleFleet, runQvmctl } from '../helpers/cli.js';
import { removeDir, snapshotTree } from '../helpers/temp-dir.js';

let root: string | undefined;
afterEach(async () => {
  if (root !== undefined) await removeDir(root);
  root = undefined;
});

async function fleetInGit(): Promise<{ root: string; manifests: string; git: (...args: string[]) => Promise<string> }> {
  const fleet = await copyExampleFleet();
  root = fleet.root;
  const git = async (...args: string[]): Promise<string> => (await execa('git', ['-C', fleet.root, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).stdout;
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'fleet');
  return { root: fleet.root, manifests: fleet.manifests, git };
}

describe('qvmctl bundle', () => {
  it('bundles the manifests and the files they use, with the commit, the same bytes every time', async () => {
    const { root: dir, manifests, git } = await fleetInGit();
    await writeFile(join(manifests, 'NOTES.md'), 'not a manifest\n');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'notes');
    const head = await git('rev-parse', 'HEAD');
    const out = join(dir, 'fleet.qvmb');
    const r = await runQvmctl(['bundle', '-f', manifests, '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^${out}: 7 files, \\d+ bytes, sha256:[0-9a-f]{64} \\(git ${head.slice(0, 12)}\\)$`));
    const listing = (await execa('tar', ['-tf', out])).stdout.split('\n');
    expect(listing).toEqual(['qvmctl-bundle.json', 'manifests/cluster.yaml', 'manifests/guests/cluster.qvmconf', 'manifests/host.yaml', 'manifests/ivi.yaml', 'manifests/rear-seat.yaml', 'manifests/svc.yaml', 'manifests/telematics.yaml']);
    const meta = JSON.parse((await execa('tar', ['-xOf', out, 'qvmctl-bundle.json'])).stdout) as { revision: unknown; digest: string };
    expect(meta.revision).toEqual({ commit: head, dirty: false });

    const again = join(dir, 'again.qvmb');
    expect((await runQvmctl(['bundle', '-f', manifests, '-o', again])).exitCode).toBe(0);
    expect((await readFile(again)).equals(await readFile(out))).toBe(true);

    // Uncommitted changes are bundled as they are, and marked.
    await writeFile(join(manifests, 'svc.yaml'), (await readFile(join(manifests, 'svc.yaml'), 'utf8')).replace('\nspec:\n', '\nspec:\n  state: stopped\n'));
    const dirty = await runQvmctl(['bundle', '-f', manifests, '-o', join(dir, 'dirty.qvmb')]);
    expect(dirty.exitCode, dirty.stderr).toBe(0);
    expect(dirty.stderr).toBe(`note: the working tree of ${manifests} differs from its HEAD commit ${head.slice(0, 12)}: the bundle holds uncommitted changes (marked +dirty)`);
    expect(dirty.stdout).toMatch(/\(git [0-9a-f]{12}\+dirty\)$/);
    expect(dirty.stdout.match(/sha256:[0-9a-f]+/)?.[0]).not.toBe(meta.digest);
  });

  it('writes nothing for manifests that are not valid', async () => {
    const fleet = await copyExampleFleet();
    root = fleet.root;
    await writeFile(join(fleet.manifests, 'svc.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: Bad_Name }\n');
    const before = await snapshotTree(fleet.root);
    const r = await runQvmctl(['bundle', '-f', fleet.manifests, '-o', join(fleet.root, 'x.qvmb')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/svc\.yaml:3:\d+: error: /);
    expect(r.stderr).toMatch(/qvmctl: the manifests in .* are invalid; no bundle was written \(run `qvmctl validate`\)$/);
    expect(await snapshotTree(fleet.root)).toEqual(before);
  });
});

describe('a bundle as -f', { timeout: 120_000 }, () => {
  it('validates, renders and plans as its manifest directory would, its Host paths against the bundle path', async () => {
    const { root: dir, manifests } = await fleetInGit();
    const bundle = join(dir, 'fleet.qvmb');
    expect((await runQvmctl(['bundle', '-f', manifests, '-o', bundle])).exitCode).toBe(0);

    const valid = await runQvmctl(['validate', '-f', bundle]);
    expect(valid.exitCode, valid.stderr).toBe(0);
    expect(valid.stdout).toBe('5 guests, 1 host: valid');
    const render = await runQvmctl(['render', 'cluster', '-f', bundle]);
    expect(render.stdout).toBe(await runQvmctl(['render', 'cluster', '-f', manifests]).then((r) => r.stdout));

    // `stateDir: ../.qvmctl/state` resolves against the bundle as against the directory it replaces.
    const fromBundle = await runQvmctl(['plan', '-f', bundle, '-o', 'json']);
    const fromDir = await runQvmctl(['plan', '-f', manifests, '-o', 'json']);
    expect(fromBundle.exitCode, fromBundle.stderr).toBe(0);
    expect(JSON.parse(fromBundle.stdout)).toEqual(JSON.parse(fromDir.stdout));
    expect((JSON.parse(fromBundle.stdout) as { changes: unknown[] }).changes).toHaveLength(5);
  });

  it('reports a manifest problem at <bundle>/<file>:line:col', async () => {
    const fleet = await copyExampleFleet();
    root = fleet.root;
    const bundle = join(fleet.root, 'bad.qvmb');
    await writeFile(bundle, writeBundle([{ path: 'svc.yaml', data: Buffer.from('apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: svc }\nspec:\n  state: sometimes\n') }], null).bytes);
    const r = await runQvmctl(['validate', '-f', bundle]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${bundle}/svc\\.yaml:5:\\d+: error: `, 'm'));
    expect(r.stdout).not.toContain('qvmctl-bundle-');
  });

  it('a damaged bundle is one line naming it, for every command, and nothing is read or changed', async () => {
    const fleet = await copyExampleFleet();
    root = fleet.root;
    const bundle = join(fleet.root, 'fleet.qvmb');
    expect((await runQvmctl(['bundle', '-f', fleet.manifests, '-o', bundle])).exitCode).toBe(0);
    const bytes = await readFile(bundle);
    const at = bytes.indexOf('system ivi');
    bytes[at] = 'S'.charCodeAt(0);
    await writeFile(bundle, bytes);
    for (const args of [['validate'], ['plan'], ['render', 'ivi'], ['status']]) {
      const r = await runQvmctl([...args, '-f', bundle]);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`qvmctl: bundle ${bundle} is not valid: manifests/ivi.yaml differs from its listing (damaged or altered); nothing was read from it`);
    }
  });

  it('is refused by the commands that act, pointing at qvmctl release', async () => {
    const fleet = await copyExampleFleet();
    root = fleet.root;
    const bundle = join(fleet.root, 'fleet.qvmb');
    expect((await runQvmctl(['bundle', '-f', fleet.manifests, '-o', bundle])).exitCode).toBe(0);
    await mkdir(fleet.stateDir, { recursive: true, mode: 0o700 });
    const before = await snapshotTree(fleet.root);
    for (const args of [['apply'], ['start', 'svc'], ['shutdown', '--no-host']]) {
      const r = await runQvmctl([...args, '-f', bundle, '--state-dir', fleet.stateDir]);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`qvmctl: ${bundle} is a bundle: a bundle is applied in phases with \`qvmctl release prepare ${bundle}\`, then \`release apply\`, \`verify\` and \`commit\` (docs/fleet.md); nothing was changed`);
    }
    expect(await snapshotTree(fleet.root)).toEqual(before);
  });
});
