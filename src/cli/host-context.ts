// What every acting command needs: the valid manifests, the state directory, and the runtime.
// Invalid manifests stop the command here, before anything is observed or changed.

import { resolve } from 'node:path';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { DesiredState } from '../model/host-spec.js';
import { createHostRuntime } from '../runtime/create-host-runtime.js';
import type { RuntimePort } from '../runtime/port.js';
import { CliError } from './errors.js';
import type { Output } from './output.js';

export interface HostContextOptions {
  readonly manifests: string;
  readonly stateDir?: string | undefined;
}

/** What a reconcile pass acts on: spread it into `runPass` / `preparePass` options. */
export interface PassTarget {
  readonly desired: DesiredState;
  readonly stateDir: string;
  readonly runtime: RuntimePort;
}

export interface HostContext extends PassTarget {
  readonly loaded: LoadResult;
  readonly target: PassTarget;
}

export async function openHost(options: HostContextOptions, io: Output): Promise<HostContext> {
  const loaded = await loadManifests({ dir: options.manifests });
  for (const d of loaded.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
  if (loaded.desired === undefined) {
    throw new CliError(`the manifests in ${options.manifests} are ${loaded.status}; nothing was observed or changed (run \`qvmctl validate\`)`);
  }
  const desired = options.stateDir === undefined
    ? loaded.desired
    : { ...loaded.desired, host: { ...loaded.desired.host, stateDir: resolve(options.stateDir) } };
  const stateDir = desired.host.stateDir;
  const target: PassTarget = { desired, stateDir, runtime: createHostRuntime({ host: desired.host, stateDir }) };
  return { loaded, ...target, target };
}

/** ANSI colour only on a terminal and never with NO_COLOR (https://no-color.org). */
export function useColor(): boolean {
  return process.stdout.isTTY && process.env['NO_COLOR'] === undefined;
}
