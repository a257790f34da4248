// Per-test temporary directories, removed afterwards, so test files can run in parallel.
import { cp, mkdtemp, rm } from 'node:fs/promises';
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
