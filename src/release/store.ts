// The release directory on the machine that runs qvmctl (docs/fleet.md, "The release directory"):
//
//   <releaseDir>/            mode 0700, this user's
//     release.json           the record (record.ts), written atomically
//     release.lock           one release verb at a time
//     trees/<digest hex>/    each release's manifest directory, unpacked from its bundle
//     manifests -> trees/…   the release the host was last converged to (or is being converged to)
//
// Trees are named by content and appear whole (unpacked beside, then renamed), so a crash leaves
// either no tree or a complete one; the record names a tree only once it is there.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { ensureDir, isNotFound, syncDir, writeFileAtomic } from '../runtime/state/atomic-file.js';
import { acquireLock, type LockHandle } from '../runtime/state/lock.js';
import { createLinuxProcessTable } from '../runtime/proc-table/linux.js';
import { digestHex, type Bundle } from './bundle.js';
import { unpackBundle } from './bundle-files.js';
import { EMPTY_RECORD, formatRecord, parseRecord, type ReleaseRecord } from './record.js';

export const RECORD_FILE = 'release.json';
const LOCK_FILE = 'release.lock';
const TREES = 'trees';
/** The link to the tree the host was last converged to: what `qvmctl run -f <releaseDir>/manifests` follows. */
export const MANIFESTS_LINK = 'manifests';
/** How long a release verb waits for another one to finish. */
const LOCK_TIMEOUT_MS = 30_000;

/** The release directory cannot be used: one line with the reason and the fix. */
export class ReleaseStoreError extends Error {
  override readonly name = 'ReleaseStoreError';
}

export interface ReleaseStore {
  readonly root: string;
  /** `<root>/manifests`: where a release's relative Host paths resolve (`stateDir: ../state` → `<root>/state`). */
  readonly manifestsPath: string;
  treeOf(digest: string): string;
  readRecord(): Promise<ReleaseRecord>;
  writeRecord(record: ReleaseRecord): Promise<void>;
  /** The tree of the bundle, unpacked now unless it is there already. */
  storeTree(bundle: Bundle): Promise<string>;
  hasTree(digest: string): Promise<boolean>;
  /** Loads a stored release's manifests as the host sees them. */
  load(digest: string): Promise<LoadResult>;
  /** Points `manifests` at the tree (atomically); null removes the link. */
  pointAt(digest: string | null): Promise<void>;
  /** Removes every tree but these. */
  keepOnly(digests: readonly (string | null | undefined)[]): Promise<void>;
  /** One verb at a time on this directory. */
  lock(): Promise<LockHandle>;
}

/** Whether `dir` is a release directory (it holds a record). */
export async function isReleaseDir(dir: string): Promise<boolean> {
  try {
    return (await lstat(join(dir, RECORD_FILE))).isFile();
  } catch {
    return false;
  }
}

/**
 * The store at `root`. `create` makes the directory (0700) when it is missing; either way it must
 * be a real directory of this user that nobody else can write (it decides what the host runs).
 */
export async function openReleaseStore(root: string, options: { readonly create: boolean }): Promise<ReleaseStore> {
  const dir = resolve(root);
  await checkReleaseDir(dir, options.create);
  if (options.create) await ensureDir(join(dir, TREES));
  const recordPath = join(dir, RECORD_FILE);
  const manifestsPath = join(dir, MANIFESTS_LINK);
  const treeOf = (digest: string): string => join(dir, TREES, digestHex(digest));
  const hasTree = async (digest: string): Promise<boolean> => (await lstat(treeOf(digest)).catch(() => undefined))?.isDirectory() === true;
  return {
    root: dir,
    manifestsPath,
    treeOf,
    hasTree,
    async readRecord() {
      let text: string;
      try {
        text = await readFile(recordPath, 'utf8');
      } catch (error) {
        if (isNotFound(error)) return EMPTY_RECORD;
        throw error;
      }
      return parseRecord(text, recordPath);
    },
    writeRecord: (record) => writeFileAtomic(recordPath, formatRecord(record)),
    async storeTree(bundle) {
      const tree = treeOf(bundle.meta.digest);
      if (await hasTree(bundle.meta.digest)) return tree;
      const tmp = join(dir, TREES, `.${digestHex(bundle.meta.digest)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await unpackBundle(bundle, tmp);
        await rename(tmp, tree);
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        // Another verb stored the same content first: it is the same tree.
        if (await hasTree(bundle.meta.digest)) return tree;
        throw error;
      }
      await syncDir(join(dir, TREES));
      return tree;
    },
    load: (digest) => loadManifests({ dir: treeOf(digest), hostBase: manifestsPath }),
    async pointAt(digest) {
      if (digest === null) {
        await rm(manifestsPath, { force: true });
        return;
      }
      const target = join(TREES, digestHex(digest));
      const now = await readlink(manifestsPath).catch(() => undefined);
      if (now === target) return;
      const tmp = join(dir, `.${MANIFESTS_LINK}.${randomBytes(6).toString('hex')}.tmp`);
      await symlink(target, tmp);
      try {
        await rename(tmp, manifestsPath);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      await syncDir(dir);
    },
    async keepOnly(digests) {
      const keep = new Set(digests.filter((d): d is string => typeof d === 'string').map(digestHex));
      const entries = await readdir(join(dir, TREES)).catch(() => [] as string[]);
      for (const name of entries) if (!keep.has(name)) await rm(join(dir, TREES, name), { recursive: true, force: true });
    },
    lock: () => acquireLock({ path: join(dir, LOCK_FILE), table: createLinuxProcessTable(), timeoutMs: LOCK_TIMEOUT_MS, pollMs: 100 }),
  };
}

// The release directory decides what the host runs, as the state directory does: a real
// directory, this user's, not writable by group or others (docs/fleet.md, "The release directory").
async function checkReleaseDir(dir: string, create: boolean): Promise<void> {
  let info = await lstat(dir).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (info === undefined) {
    if (!create) throw new ReleaseStoreError(`release directory ${dir} does not exist (nothing was prepared there); give the right one with --release-dir`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    info = await lstat(dir);
  }
  if (info.isSymbolicLink()) throw new ReleaseStoreError(`release directory ${dir} is a symbolic link; give its real path with --release-dir`);
  if (!info.isDirectory()) throw new ReleaseStoreError(`release directory ${dir} is not a directory; move what is in the way or choose another with --release-dir`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw new ReleaseStoreError(`release directory ${dir} is owned by uid ${info.uid}, not by this user (${userInfo().username}); run \`chown ${userInfo().username} ${dir} && chmod 700 ${dir}\``);
  if ((info.mode & 0o022) !== 0) throw new ReleaseStoreError(`release directory ${dir} is writable by group or others (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}); run \`chmod 700 ${dir}\``);
}
