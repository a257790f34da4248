// Which host a command talks about, and where its daemon's socket is: `--state-dir` (a state
// directory on the host), else the Host manifest's; the connection is the Host manifest's.

import { resolve } from 'node:path';
import { HOST_DEFAULTS } from '../manifest/defaults.js';
import { controlDirOf, type HostTarget } from '../runtime/create-host.js';
import { CliError } from './errors.js';
import { readManifestInput } from './manifest-input.js';
import type { ManifestOptions, StateDirOptions } from './options.js';

export interface ResolvedTarget extends HostTarget {
  /** Local directory of the daemon's control socket (the state directory itself for a local host). */
  readonly controlDir: string;
}

export async function resolveTarget(options: ManifestOptions & StateDirOptions): Promise<ResolvedTarget> {
  const { loaded } = await readManifestInput(options.manifests, 'look');
  const host = loaded.desired?.host;
  if (host === undefined && options.stateDir === undefined) {
    throw new CliError(`cannot tell the state directory: the manifests in ${options.manifests} are ${loaded.status} (run \`qvmctl validate\`), or pass --state-dir`);
  }
  const connection = host?.connection ?? HOST_DEFAULTS.connection;
  const stateDir = options.stateDir === undefined ? (host?.stateDir ?? HOST_DEFAULTS.stateDir) : connection.kind === 'ssh' ? options.stateDir : resolve(options.stateDir);
  const target: HostTarget = { qvm: host?.qvm ?? HOST_DEFAULTS.qvm, connection, stateDir };
  return { ...target, controlDir: controlDirOf(target) };
}

/** The directory of the daemon's socket for the command's host. */
export async function resolveStateDir(options: ManifestOptions & StateDirOptions): Promise<string> {
  return (await resolveTarget(options)).controlDir;
}
