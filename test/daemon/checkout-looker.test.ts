// The daemon asks git about its checkout only when the answer can have changed: never where no
// `.git` is in the manifest directory or above it, and in a checkout only after HEAD or a branch
// moved. Git runs through a logging wrapper in PATH (the real git behind it), so every question
// asked is counted.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CheckoutLooker } from '../../src/daemon/git-revision.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let log: string;
let Looker: typeof CheckoutLooker;
const savedPath = process.env['PATH'];

beforeAll(async () => {
  root = await makeTempDir('checkout-looker');
  log = join(root, 'git.log');
  const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
  await mkdir(join(root, 'bin'));
  await writeFile(join(root, 'bin', 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  await chmod(join(root, 'bin', 'git'), 0o755);
  await writeFile(log, '');
  process.env['PATH'] = `${join(root, 'bin')}:${savedPath ?? ''}`;
  vi.resetModules();
  ({ CheckoutLooker: Looker } = await import('../../src/daemon/git-revision.js'));
});

afterAll(async () => {
  process.env['PATH'] = savedPath;
  await removeDir(root);
});

const asked = async (): Promise<number> => (await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('--no-optional-locks')).length;
const git = (repo: string, ...args: string[]) => execa('git', ['-C', repo, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args]);

describe('looking at the checkout of the manifest directory', () => {
  it('never runs git where there is no .git in the directory or above it', async () => {
    const dir = join(root, 'plain', 'manifests');
    await mkdir(dir, { recursive: true });
    const looker = new Looker();
    const before = await asked();
    expect(await looker.look(dir)).toEqual({ kind: 'none' });
    expect(await looker.look(dir)).toEqual({ kind: 'none' });
    expect(await asked()).toBe(before);
  });

  it('asks git once per change of HEAD or of its branch, and again after a failed look', async () => {
    const repo = join(root, 'repo');
    const dir = join(repo, 'manifests');
    await mkdir(dir, { recursive: true });
    await git(repo, 'init', '-q');
    const looker = new Looker();
    let before = await asked();
    // No commit yet: an error, asked every time.
    expect((await looker.look(dir)).kind).toBe('error');
    expect((await looker.look(dir)).kind).toBe('error');
    expect(await asked()).toBe(before + 2);
    await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'one');
    const first = (await git(repo, 'rev-parse', 'HEAD')).stdout;
    before = await asked();
    expect(await looker.look(dir)).toMatchObject({ kind: 'checkout', commit: first });
    expect(await looker.look(dir)).toMatchObject({ kind: 'checkout', commit: first });
    expect(await asked()).toBe(before + 1);
    // A working-tree edit moves no ref: nothing to ask.
    await writeFile(join(dir, 'a.yaml'), 'a: 2\n');
    expect(await looker.look(dir)).toMatchObject({ commit: first });
    expect(await asked()).toBe(before + 1);
    await git(repo, 'commit', '-q', '-am', 'two');
    const second = (await git(repo, 'rev-parse', 'HEAD')).stdout;
    expect(await looker.look(dir)).toMatchObject({ kind: 'checkout', commit: second });
    // Detached at the first commit: HEAD's own text changed.
    await git(repo, 'checkout', '-q', '--detach', first);
    expect(await looker.look(dir)).toMatchObject({ kind: 'checkout', commit: first });
    // Packed refs: the branch moved by a rewrite of packed-refs only.
    await git(repo, 'checkout', '-q', '-');
    await git(repo, 'pack-refs', '--all');
    expect(await looker.look(dir)).toMatchObject({ commit: second });
    await git(repo, 'update-ref', 'refs/heads/side', first);
    await git(repo, 'pack-refs', '--all');
    await git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/side');
    expect(await looker.look(dir)).toMatchObject({ commit: first });
    expect(await asked()).toBe(before + 5);
  });
});
