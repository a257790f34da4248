// A git checkout's desired state is its commit: loaded from a private copy of the
// commit, it is the very desired state an identical working tree gives (config hashes, `@file`
// paths, fingerprint, diagnostics' file names), and nothing of the working tree leaks into it.
import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitCopies, lookAtCheckout, workingTreeDiffers } from '../../src/daemon/git-revision.js';
import { loadManifests, type LoadResult } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let repo: string;
let manifests: string;
let copies: CommitCopies;

const git = async (...args: string[]): Promise<string> =>
  (await execa('git', ['-C', repo, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).stdout;

const HOST = (shared: string): string => `apiVersion: qvmctl/v1
kind: Host
metadata: { name: h }
spec:
  qvm: { simulator: true }
  stateDir: /tmp/qvmctl-never-used
  configRoots: [${shared}]
`;

const guest = (name: string, qvm: string): string => `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  qvm:
${qvm}`;

beforeEach(async () => {
  root = await makeTempDir('commit-copy');
  repo = join(root, 'repo');
  manifests = join(repo, 'manifests');
  await mkdir(join(manifests, 'guests'), { recursive: true });
  await mkdir(join(manifests, 'args'));
  await mkdir(join(repo, 'shared'));
  await execa('git', ['init', '-q', repo]);
  await writeFile(join(manifests, 'host.yaml'), HOST(join(repo, 'shared')));
  // configFile in a subdirectory, through a symlink inside the directory
  await writeFile(join(manifests, 'guests', 'a-v1.qvmconf'), 'system a\nram 0x80000000,64M\ncpu\n');
  await symlink('a-v1.qvmconf', join(manifests, 'guests', 'a.qvmconf'));
  await writeFile(join(manifests, 'a.yaml'), guest('a', '    configFile: guests/a.qvmconf\n'));
  // an @file among extraArgs
  await writeFile(join(manifests, 'args', 'b.args'), 'set b 1\n');
  await writeFile(join(manifests, 'b.yaml'), guest('b', '    config: |\n      system b\n      ram 0x80000000,64M\n      cpu\n    extraArgs: ["@args/b.args"]\n'));
  // a configRoots entry inside the same checkout, outside the manifest directory
  await writeFile(join(repo, 'shared', 'c.qvmconf'), 'system c\nram 0x80000000,64M\ncpu\n');
  await writeFile(join(manifests, 'c.yaml'), guest('c', '    configFile: ../shared/c.qvmconf\n'));
  await git('add', '-A');
  await git('commit', '-q', '-m', 'three guests');
  copies = new CommitCopies();
});

afterEach(async () => {
  copies.dispose();
  await removeDir(root);
});

async function loadCommit(ref = 'HEAD'): Promise<LoadResult> {
  const look = await lookAtCheckout(manifests, ref);
  if (look.kind !== 'checkout') throw new Error(`not a checkout: ${JSON.stringify(look)}`);
  return loadManifests({ dir: manifests, copy: await copies.of(look.toplevel, look.commit) });
}

const comparable = (r: LoadResult): unknown => ({ ...r, sources: undefined });

describe('the desired state of a git checkout is its commit', () => {
  it('is the desired state an identical working tree gives, config hashes and @file paths included', async () => {
    const fromTree = await loadManifests({ dir: manifests });
    expect(fromTree.status).toBe('ok');
    const fromCommit = await loadCommit();
    expect(comparable(fromCommit)).toEqual(comparable(fromTree));
    const b = fromCommit.desired?.guests.find((g) => g.name === 'b');
    expect(b?.extraArgs).toEqual([`@${join(manifests, 'args', 'b.args')}`]);
  });

  it('takes nothing from the working tree: manifests, config files and configRoots files are the commit\'s', async () => {
    const committed = await loadCommit();
    await writeFile(join(manifests, 'guests', 'a-v1.qvmconf'), 'system a\nram 0x80000000,128M\ncpu\n');
    await writeFile(join(repo, 'shared', 'c.qvmconf'), 'system c\nram 0x80000000,128M\ncpu\n');
    await writeFile(join(manifests, 'd.yaml'), guest('d', '    config: |\n      system d\n      ram 0x80000000,64M\n      cpu\n'));
    await writeFile(join(manifests, 'a.yaml'), 'apiVersion: qvmctl/v1\nkind: Gu');
    expect(comparable(await loadCommit())).toEqual(comparable(committed));
    expect(await workingTreeDiffers(manifests, (await git('rev-parse', 'HEAD')).trim())).toBe(true);

    // Committed, the edits are the desired state (and the half-written a.yaml is an error, at its working-tree name).
    await git('add', '-A');
    await git('commit', '-q', '-m', 'edits');
    const next = await loadCommit();
    expect(next.status).toBe('invalid');
    expect(next.diagnostics.map((d) => d.file)).toEqual([join(manifests, 'a.yaml')]);
    await writeFile(join(manifests, 'a.yaml'), guest('a', '    configFile: guests/a.qvmconf\n'));
    await git('commit', '-q', '-am', 'a fixed');
    const fixed = await loadCommit();
    expect(fixed.status).toBe('ok');
    expect(fixed.desired?.guests.map((g) => g.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(fixed.desired?.guests.find((g) => g.name === 'a')?.qvmconf).toContain('128M');
    expect(fixed.desired?.guests.find((g) => g.name === 'c')?.qvmconf).toContain('128M');
    expect(await workingTreeDiffers(manifests, (await git('rev-parse', 'HEAD')).trim())).toBe(false);
  });

  it('reports errors in committed config files at their working-tree names', async () => {
    await writeFile(join(manifests, 'guests', 'a-v1.qvmconf'), 'system a\nram 0x80000000,64M\nbogus 1\n');
    await git('commit', '-q', '-am', 'broken config');
    const r = await loadCommit();
    expect(r.status).toBe('invalid');
    expect(r.diagnostics).toEqual([expect.objectContaining({ file: join(manifests, 'guests', 'a.qvmconf'), line: 3, code: 'qvmconf' })]);
    const look = await lookAtCheckout(manifests);
    if (look.kind !== 'checkout') throw new Error('a checkout');
    expect(JSON.stringify(r.diagnostics)).not.toContain((await copies.of(look.toplevel, look.commit)).root);
  });

  it('refuses a commit whose @file differs in the working tree: qvm reads the working tree\'s', async () => {
    await writeFile(join(manifests, 'args', 'b.args'), 'set b 2\n');
    const r = await loadCommit();
    expect(r.status).toBe('invalid');
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'extra-args-uncommitted', file: join(manifests, 'b.yaml'), field: 'spec.qvm.extraArgs[0]' })]);
    expect(r.diagnostics[0]?.message).toContain(`${join(manifests, 'args', 'b.args')} differs in the working tree from commit`);
  });

  it('says what the manifest directory is: a checkout and its commit, a checkout with no commit, or a plain directory', async () => {
    const head = (await git('rev-parse', 'HEAD')).trim();
    expect(await lookAtCheckout(manifests)).toEqual({ kind: 'checkout', toplevel: repo, commit: head });
    expect(await lookAtCheckout(join(root, 'nowhere'))).toEqual({ kind: 'none' });
    const plain = join(root, 'plain');
    await mkdir(plain);
    expect(await lookAtCheckout(plain)).toEqual({ kind: 'none' });
    const fresh = join(root, 'fresh');
    await execa('git', ['init', '-q', fresh]);
    expect(await lookAtCheckout(fresh)).toEqual({ kind: 'error', message: expect.stringContaining('names no commit') as string });
    // Not yet committed manifests: an empty commit for the directory, which keeps any last good state.
    await mkdir(join(repo, 'new'));
    await writeFile(join(repo, 'new', 'x.yaml'), guest('x', '    config: |\n      system x\n      ram 0x80000000,64M\n      cpu\n'));
    const look = await lookAtCheckout(join(repo, 'new'));
    if (look.kind !== 'checkout') throw new Error('a checkout');
    const r = await loadManifests({ dir: join(repo, 'new'), copy: await copies.of(look.toplevel, look.commit) });
    expect(r.status).toBe('empty');
    expect(r.diagnostics[0]?.message).toContain(`at commit ${head.slice(0, 12)} (only committed manifests are read)`);
  });

  it('keeps one private copy at a time, and removes it when disposed', async () => {
    const first = await loadCommit();
    await writeFile(join(manifests, 'args', 'b.args'), 'set b 3\n');
    await git('commit', '-q', '-am', 'b.args');
    await loadCommit();
    const look = await lookAtCheckout(manifests);
    if (look.kind !== 'checkout') throw new Error('a checkout');
    const copy = await copies.of(look.toplevel, look.commit);
    expect(await readdir(join(copy.root, '..'))).toEqual([look.commit]);
    expect(first.status).toBe('ok');
    copies.dispose();
    await expect(readdir(copy.root)).rejects.toThrow(/ENOENT/);
  });

  it('removes the copies of a daemon that was killed (this user\'s, of a process that is gone), and only those', async () => {
    let dead = 4_000_000;
    while (existsSync(`/proc/${dead}`)) dead++;
    const stale = join(tmpdir(), `qvmctl-commit-${dead}-test`);
    const alive = join(tmpdir(), `qvmctl-commit-${process.ppid}-test`);
    await mkdir(join(stale, 'abc'), { recursive: true });
    await mkdir(alive, { recursive: true });
    try {
      await loadCommit();
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(alive)).toBe(true);
    } finally {
      await removeDir(stale);
      await removeDir(alive);
    }
  });
});
