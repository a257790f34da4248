// A release bundle (docs/fleet.md, "The bundle format"): a ustar archive of a manifest directory's
// manifests and the files they reference, led by `qvmctl-bundle.json`, which lists every file with
// its size and SHA-256, the git revision it was built from, and the digest: a SHA-256 over the
// sorted listing, so the digest names the content (the same files give the same digest, whatever
// the commit). Pure: bytes in, bytes out; reading checks everything before anything is used.

import { createHash } from 'node:crypto';
import { MAX_TAR_PATH_BYTES, readTar, TarError, writeTar, type TarEntry } from './tar.js';

export const BUNDLE_FORMAT = 'qvmctl-bundle/1';
/** The first entry: the listing, the revision and the digest. */
export const BUNDLE_META = 'qvmctl-bundle.json';
/** Every file of the manifest directory is stored under this prefix. */
export const PAYLOAD_DIR = 'manifests';
/** The largest bundle qvmctl reads, checked before it is read. @default 16 MiB */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
/** Files in a bundle, at most. */
export const MAX_BUNDLE_FILES = 1000;
/** The largest file in a bundle: as large as the loader reads a manifest or configFile (1 MiB). */
export const MAX_BUNDLE_FILE_BYTES = 1024 * 1024;

export interface BundleRevision {
  /** The git commit the manifest directory's checkout was at. */
  readonly commit: string;
  /** The working tree differed from that commit: the bundle holds uncommitted changes. */
  readonly dirty: boolean;
}

export interface BundleListing {
  /** A path relative to the manifest directory, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BundleMeta {
  readonly format: typeof BUNDLE_FORMAT;
  /** `sha256:<hex>` over the listing: the content address. */
  readonly digest: string;
  readonly revision: BundleRevision | null;
  readonly files: readonly BundleListing[];
}

export interface BundleFile {
  /** Relative to the manifest directory. */
  readonly path: string;
  readonly data: Buffer;
}

export interface Bundle {
  readonly meta: BundleMeta;
  readonly files: readonly BundleFile[];
}

/** Why bytes are not a bundle qvmctl uses: one short clause. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** The digest's hex part: a directory name in the release store, 64 characters. */
export function digestHex(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

/** `3f2a91c0d1e2`: enough to tell releases apart in messages. */
export function shortDigest(digest: string): string {
  return digestHex(digest).slice(0, 12);
}

/**
 * Why a path may not be in a bundle, or undefined when it may: relative, `/`-separated, no empty,
 * `.` or `..` part, no backslash or control character, short enough for a tar header.
 */
export function refusePath(path: string): string | undefined {
  if (path.length === 0) return 'an empty path';
  if (path.startsWith('/')) return 'an absolute path';
  for (let i = 0; i < path.length; i += 1) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return 'a control character or backslash in the path';
  }
  const parts = path.split('/');
  if (parts.includes('..')) return 'a `..` in the path (it would leave the bundle)';
  if (parts.some((p) => p === '' || p === '.')) return 'an empty or `.` part in the path';
  if (Buffer.byteLength(`${PAYLOAD_DIR}/${path}`) > MAX_TAR_PATH_BYTES) return `a path longer than ${MAX_TAR_PATH_BYTES - PAYLOAD_DIR.length - 1} bytes`;
  return undefined;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// Byte order of the UTF-8 paths: the same on every machine and in every language.
function byPath(a: { path: string }, b: { path: string }): number {
  return Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));
}

/** The digest of a listing: SHA-256 over `<sha256>  <size>  <path>\n` for each file, in path order. */
export function digestOf(files: readonly BundleListing[]): string {
  const lines = [...files].sort(byPath).map((f) => `${f.sha256}  ${f.size}  ${f.path}\n`).join('');
  return `sha256:${sha256(lines)}`;
}

/** The bundle's bytes: the same files and revision always give the same bytes. */
export function writeBundle(files: readonly BundleFile[], revision: BundleRevision | null): { bytes: Buffer; meta: BundleMeta } {
  const sorted = [...files].sort(byPath);
  const seen = new Set<string>();
  for (const f of sorted) {
    const refused = refusePath(f.path);
    if (refused !== undefined) throw new BundleError(`${JSON.stringify(f.path)}: ${refused}`);
    if (seen.has(f.path)) throw new BundleError(`${JSON.stringify(f.path)} is given twice`);
    seen.add(f.path);
    if (f.data.length > MAX_BUNDLE_FILE_BYTES) throw new BundleError(`${f.path} is ${f.data.length} bytes, more than the ${MAX_BUNDLE_FILE_BYTES} a bundle file may have`);
  }
  if (sorted.length > MAX_BUNDLE_FILES) throw new BundleError(`${sorted.length} files, more than the ${MAX_BUNDLE_FILES} a bundle may hold`);
  const listing = sorted.map((f) => ({ path: f.path, size: f.data.length, sha256: sha256(f.data) }));
  const meta: BundleMeta = { format: BUNDLE_FORMAT, digest: digestOf(listing), revision, files: listing };
  const entries: TarEntry[] = [
    { path: BUNDLE_META, data: Buffer.from(`${JSON.stringify(meta, null, 2)}\n`) },
    ...sorted.map((f) => ({ path: `${PAYLOAD_DIR}/${f.path}`, data: f.data })),
  ];
  const bytes = writeTar(entries);
  if (bytes.length > MAX_BUNDLE_BYTES) throw new BundleError(`${bytes.length} bytes, more than the ${MAX_BUNDLE_BYTES} a bundle may have`);
  return { bytes, meta };
}

/**
 * A bundle read from bytes, every check passed: a ustar archive of regular files only, the listing
 * first, every path inside the bundle, each file's size and SHA-256 as listed, nothing unlisted or
 * missing, and the digest recomputed from the files equal to the one recorded. BundleError otherwise.
 */
export function readBundle(bytes: Buffer): Bundle {
  if (bytes.length > MAX_BUNDLE_BYTES) throw new BundleError(`${bytes.length} bytes, more than the ${MAX_BUNDLE_BYTES} a bundle may have`);
  let entries: TarEntry[];
  try {
    entries = readTar(bytes, { maxEntries: MAX_BUNDLE_FILES + 1, maxEntryBytes: MAX_BUNDLE_FILE_BYTES });
  } catch (error) {
    if (error instanceof TarError) throw new BundleError(error.message);
    throw error;
  }
  const [first, ...rest] = entries;
  if (first?.path !== BUNDLE_META) throw new BundleError(`not a qvmctl bundle (it does not begin with ${BUNDLE_META})`);
  const meta = parseMeta(first.data);
  const files: BundleFile[] = [];
  const seen = new Set<string>();
  for (const entry of rest) {
    if (!entry.path.startsWith(`${PAYLOAD_DIR}/`)) throw new BundleError(`${JSON.stringify(entry.path)} is outside ${PAYLOAD_DIR}/`);
    const path = entry.path.slice(PAYLOAD_DIR.length + 1);
    const refused = refusePath(path);
    if (refused !== undefined) throw new BundleError(`${JSON.stringify(entry.path)}: ${refused}`);
    if (seen.has(path)) throw new BundleError(`${JSON.stringify(entry.path)} is in the bundle twice`);
    seen.add(path);
    files.push({ path, data: entry.data });
  }
  const listed = new Map(meta.files.map((f) => [f.path, f]));
  for (const f of files) {
    const l = listed.get(f.path);
    if (l === undefined) throw new BundleError(`${PAYLOAD_DIR}/${f.path} is not in the listing`);
    if (l.size !== f.data.length || l.sha256 !== sha256(f.data)) throw new BundleError(`${PAYLOAD_DIR}/${f.path} differs from its listing (damaged or altered)`);
  }
  const missing = meta.files.filter((f) => !seen.has(f.path)).map((f) => f.path);
  if (missing.length > 0) throw new BundleError(`listed but missing: ${missing.join(', ')}`);
  const digest = digestOf(meta.files);
  if (digest !== meta.digest) throw new BundleError(`its digest is ${meta.digest} but its files give ${digest} (damaged or altered)`);
  return { meta, files };
}

function parseMeta(data: Buffer): BundleMeta {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new BundleError(`${BUNDLE_META} is not JSON`);
  }
  const v = value as Partial<Record<keyof BundleMeta, unknown>>;
  if (typeof value !== 'object' || value === null || v.format !== BUNDLE_FORMAT) {
    throw new BundleError(`${BUNDLE_META} is not of format ${BUNDLE_FORMAT}${typeof v.format === 'string' ? ` (it says ${v.format}: a newer qvmctl wrote it?)` : ''}`);
  }
  if (typeof v.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.digest)) throw new BundleError(`${BUNDLE_META} has no valid digest`);
  if (!Array.isArray(v.files)) throw new BundleError(`${BUNDLE_META} has no file listing`);
  const files: BundleListing[] = [];
  for (const f of v.files as unknown[]) {
    const l = f as Partial<Record<keyof BundleListing, unknown>>;
    if (typeof f !== 'object' || f === null || typeof l.path !== 'string' || typeof l.size !== 'number' || typeof l.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(l.sha256)) {
      throw new BundleError(`${BUNDLE_META} has a malformed file entry`);
    }
    const refused = refusePath(l.path);
    if (refused !== undefined) throw new BundleError(`${BUNDLE_META} lists ${JSON.stringify(l.path)}: ${refused}`);
    files.push({ path: l.path, size: l.size, sha256: l.sha256 });
  }
  return { format: BUNDLE_FORMAT, digest: v.digest, revision: parseRevision(v.revision), files };
}

function parseRevision(value: unknown): BundleRevision | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Partial<Record<keyof BundleRevision, unknown>>;
  if (typeof r.commit !== 'string' || !/^[0-9a-f]{7,64}$/.test(r.commit)) throw new BundleError(`${BUNDLE_META} has a malformed revision`);
  return { commit: r.commit, dirty: r.dirty === true };
}

/** `git 1a2b3c4d5e6f` (`+dirty` when built from uncommitted changes), or `no git revision`. */
export function describeRevision(revision: BundleRevision | null): string {
  if (revision === null) return 'no git revision';
  return `git ${revision.commit.slice(0, 12)}${revision.dirty ? '+dirty' : ''}`;
}
