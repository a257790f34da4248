// Which state directory a command talks about: `--state-dir`, else the Host manifest's.

import { resolve } from 'node:path';
import { loadManifests } from '../manifest/load.js';
import { CliError } from './errors.js';
import type { ManifestOptions, StateDirOptions } from './options.js';

export async function resolveStateDir(options: ManifestOptions & StateDirOptions): Promise<string> {
  if (options.stateDir !== undefined) return resolve(options.stateDir);
  const loaded = await loadManifests({ dir: options.manifests });
  if (loaded.desired === undefined) {
    throw new CliError(`cannot tell the state directory: the manifests in ${options.manifests} are ${loaded.status} (run \`qvmctl validate\`), or pass --state-dir`);
  }
  return loaded.desired.host.stateDir;
}
