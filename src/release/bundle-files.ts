// Bundles and the file system: which files of a manifest directory go into its bundle, reading a
// bundle file (bounded before it is read) and unpacking one into a directory.

import { constants } from 'node:fs';
import { mkdir, open, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { LoadResult } from '../manifest/load.js';
import { isInside } from '../model/paths.js';
import { syncDir } from '../runtime/state/atomic-file.js';
import { BundleError, MAX_BUNDLE_BYTES, readBundle, refusePath, type Bundle, type BundleFile } from './bundle.js';

export interface BundleInput {
  /** The manifests and every file they reference inside the manifest directory. */
  readonly files: readonly BundleFile[];
  /** Referenced files outside the manifest directory (a Host `configRoots` entry): read on the device, not carried. */
  readonly outside: readonly string[];
}

/**
 * What a valid load of `dir` read: its manifests, and each `configFile` and `@file` that lies in
 * the directory, under the name the manifests use (a link is carried as the file it names).
 */
export async function collectBundleInput(dir: string, loaded: LoadResult): Promise<BundleInput> {
  const base = resolve(dir);
  const realBase = await realpath(base).catch(() => base);
  const named = new Set<string>();
  const outside: string[] = [];
  for (const source of loaded.sources) {
    const path = resolve(source);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() !== true) continue;
    // A configFile is named by the path the manifest gives; an @file by its real path.
    const rel = isInside(path, base) ? relative(base, path) : isInside(path, realBase) ? relative(realBase, path) : undefined;
    if (rel === undefined) outside.push(path);
    else named.add(rel.split(sep).join('/'));
  }
  const files: BundleFile[] = [];
  for (const rel of [...named].sort()) {
    const refused = refusePath(rel);
    if (refused !== undefined) throw new BundleError(`${join(base, rel)}: ${refused}`);
    files.push({ path: rel, data: await readFile(join(base, rel)) });
  }
  return { files, outside: [...new Set(outside)].sort() };
}

/** Reads and checks a bundle file; a path that is not a regular file, or too large, is refused unread. */
export async function readBundleFile(path: string): Promise<Bundle> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new BundleError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (!info.isFile()) throw new BundleError('not a regular file; not read');
  if (info.size > MAX_BUNDLE_BYTES) throw new BundleError(`${info.size} bytes, more than the ${MAX_BUNDLE_BYTES} a bundle may have; not read`);
  // Non-blocking: had the path been swapped for a FIFO since the stat, the read ends at once.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > MAX_BUNDLE_BYTES) throw new BundleError(`more than the ${MAX_BUNDLE_BYTES} bytes a bundle may have; not read`);
    }
    return readBundle(Buffer.concat(chunks));
  } finally {
    await handle.close();
  }
}

/**
 * Writes a bundle's files into `dir` (which must not exist yet), private to this user. Every path
 * was checked by `readBundle`; each is checked again to lie inside `dir` before it is written.
 */
export async function unpackBundle(bundle: Bundle, dir: string): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { mode: 0o700 });
  for (const file of bundle.files) {
    const target = resolve(root, file.path);
    if (!isInside(target, root) || target === root) throw new BundleError(`${JSON.stringify(file.path)} would leave the bundle`);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(file.data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  // The directories' entries on disk too, deepest first, before the caller renames `dir` into place.
  const dirs = new Set(bundle.files.map((f) => dirname(resolve(root, f.path))));
  for (const d of [...dirs, root].sort((a, b) => b.length - a.length)) await syncDir(d);
}
