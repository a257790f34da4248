// Every command reads its manifests through here: `-f` names a manifest directory, a bundle file
// or a release directory (docs/fleet.md, "Bundles in every command"). A bundle that cannot be
// used is one line; commands that act take a directory or a release directory, never a bundle.

import type { LoadResult } from '../manifest/load.js';
import { BundleFileError, loadManifestSource, sourceKind, type ManifestSource } from '../release/manifest-source.js';
import { ReleaseRecordError, type ReleaseRecord } from '../release/record.js';
import { openReleaseStore, ReleaseStoreError } from '../release/store.js';
import { CliError } from './errors.js';

export interface ManifestInput {
  readonly loaded: LoadResult;
  readonly source: ManifestSource;
}

/** `look`: validate, render, plan, status and the like; `act`: anything that may start or stop a guest. */
export async function readManifestInput(path: string, purpose: 'look' | 'act'): Promise<ManifestInput> {
  let input: ManifestInput;
  try {
    input = await loadManifestSource(path);
  } catch (error) {
    if (error instanceof BundleFileError || error instanceof ReleaseStoreError || error instanceof ReleaseRecordError) throw new CliError(error.message, { cause: error });
    throw error;
  }
  if (purpose === 'act' && input.source.kind === 'bundle') {
    throw new CliError(`${path} is a bundle: a bundle is applied in phases with \`qvmctl release prepare ${path}\`, then \`release apply\`, \`verify\` and \`commit\` (docs/fleet.md); nothing was changed`);
  }
  return input;
}

/** The release record when `-f` names a release directory (for `status`), else undefined. */
export async function releaseRecordOf(path: string): Promise<ReleaseRecord | undefined> {
  if ((await sourceKind(path)) !== 'release') return undefined;
  try {
    return await (await openReleaseStore(path, { create: false })).readRecord();
  } catch (error) {
    if (error instanceof ReleaseStoreError || error instanceof ReleaseRecordError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}
