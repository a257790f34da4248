// What `-f` names (docs/fleet.md, "Bundles in every command"): a manifest directory, a bundle file,
// or a release directory (the release the host was last converged to, or else the staged one). A
// bundle is unpacked into a private temporary directory, removed when the process exits, and loaded
// as if the bundle file were its manifest directory: messages name `<bundle>/<file>`, and a
// relative Host path resolves against the bundle's path as it did against the directory's.

import { rmSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { BundleError, type BundleMeta } from './bundle.js';
import { readBundleFile, unpackBundle } from './bundle-files.js';
import type { ReleaseRecord } from './record.js';
import { isReleaseDir, openReleaseStore } from './store.js';

export type ManifestSource =
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'bundle'; readonly path: string; readonly meta: BundleMeta }
  | { readonly kind: 'release'; readonly path: string; readonly record: ReleaseRecord };

export interface SourceLoad {
  readonly loaded: LoadResult;
  readonly source: ManifestSource;
}

/** A bundle that cannot be used: `file` is the bundle, `reason` one clause. */
export class BundleFileError extends Error {
  override readonly name = 'BundleFileError';
  constructor(readonly file: string, readonly reason: string) {
    super(`bundle ${file} is not valid: ${reason}; nothing was read from it`);
  }
}

/** What `-f` names, without loading it. */
export async function sourceKind(path: string): Promise<ManifestSource['kind']> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 'directory';
  if (!info.isDirectory()) return 'bundle';
  return (await isReleaseDir(path)) ? 'release' : 'directory';
}

const unpacked = new Set<string>();
let cleanupArmed = false;

// A bundle unpacked for one command lives until the process ends (a look may still read it).
function removeAtExit(dir: string): void {
  unpacked.add(dir);
  if (cleanupArmed) return;
  cleanupArmed = true;
  process.once('exit', () => {
    for (const d of unpacked) rmSync(d, { recursive: true, force: true });
  });
}

export async function loadManifestSource(path: string): Promise<SourceLoad> {
  const kind = await sourceKind(path);
  if (kind === 'directory') return { loaded: await loadManifests({ dir: path }), source: { kind, path } };
  if (kind === 'release') {
    const store = await openReleaseStore(path, { create: false });
    const record = await store.readRecord();
    const source: ManifestSource = { kind, path, record };
    // The release the host runs; before the first apply, the one staged (it names the same host).
    const digest = record.applied ?? record.staged?.digest ?? null;
    if (digest === null) {
      const diagnostic: Diagnostic = { severity: 'error', code: 'no-release', file: path, message: 'no release has been prepared in this release directory yet' };
      return { loaded: { status: 'empty', desired: undefined, diagnostics: [diagnostic], fingerprint: '', files: [], hostFile: undefined, sources: [path] }, source };
    }
    return { loaded: await store.load(digest), source };
  }
  let bundle;
  try {
    bundle = await readBundleFile(path);
  } catch (error) {
    if (error instanceof BundleError) throw new BundleFileError(path, error.message);
    throw error;
  }
  const dir = join(await mkdtemp(join(tmpdir(), 'qvmctl-bundle-')), 'manifests');
  removeAtExit(resolve(dir, '..'));
  await unpackBundle(bundle, dir);
  const loaded = await loadManifests({ dir, hostBase: resolve(path) });
  return { loaded: renamed(loaded, dir, path), source: { kind, path, meta: bundle.meta } };
}

// Names in the unpacked copy become names in the bundle: `<bundle>/<file>`.
function renamed(loaded: LoadResult, dir: string, bundle: string): LoadResult {
  const rename = (s: string): string => s.split(dir).join(bundle);
  return {
    ...loaded,
    diagnostics: loaded.diagnostics.map((d) => ({ ...d, file: rename(d.file), message: rename(d.message) })),
    files: loaded.files.map(rename),
    hostFile: loaded.hostFile === undefined ? undefined : rename(loaded.hostFile),
    sources: loaded.sources.map(rename),
  };
}
