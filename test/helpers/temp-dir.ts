// Per-test temporary directories, removed afterwards, so test files can run in parallel.
import { cp, lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `qvmctl-${prefix}-`));
}

/** A fresh copy of a fixture directory under test/fixtures. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await makeTempDir(name);
  await cp(join(import.meta.dirname, '..', 'fixtures', name), dir, { recursive: true });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Every path under dir with its mode, owner and (for files) content: "nothing changed" compares two. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (p: string): Promise<void> => {
    const info = await lstat(p);
    result[p] = `${(info.mode & 0o7777).toString(8)} ${info.uid}${info.isFile() ? ` ${await readFile(p, 'utf8')}` : ''}`;
    if (info.isDirectory()) for (const e of await readdir(p)) await walk(join(p, e));
  };
  await walk(dir);
  return result;
}
