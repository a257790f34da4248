// What every acting command needs: the valid manifests and the host port.
// Invalid manifests stop the command here, before anything is observed or changed.

import { resolve } from 'node:path';
import type { LoadResult } from '../manifest/load.js';
import type { DesiredState } from '../model/host-spec.js';
import type { RuntimeTuning } from '../runtime/context.js';
import { createHost } from '../runtime/create-host.js';
import type { HostPort } from '../runtime/port.js';
import { CliError } from './errors.js';
import { readManifestInput } from './manifest-input.js';
import { colorFor } from './terminal.js';
import type { CliOutput } from './output.js';

export interface HostContextOptions {
  readonly manifests: string;
  readonly stateDir?: string | undefined;
}

/** What a reconcile pass acts on: spread it into `runPass` / `previewPass` options. */
export interface PassTarget {
  readonly desired: DesiredState;
  readonly runtime: HostPort;
}

export interface HostContext extends PassTarget {
  readonly loaded: LoadResult;
  readonly target: PassTarget;
  /** The state directory, on the host. */
  readonly stateDir: string;
}

/** `look` (plan, status) also takes a bundle as `-f`; `act` does not (manifest-input.ts). */
export async function openHost(options: HostContextOptions, io: CliOutput, tuning?: Partial<RuntimeTuning>, purpose: 'look' | 'act' = 'act'): Promise<HostContext> {
  const { loaded } = await readManifestInput(options.manifests, purpose);
  if (loaded.desired === undefined) throw invalidManifests(options.manifests, loaded, 'nothing was observed or changed');
  for (const d of loaded.diagnostics) io.diagnostic(d);
  const host = loaded.desired.host;
  const stateDir = options.stateDir === undefined ? host.stateDir : host.connection.kind === 'ssh' ? options.stateDir : resolve(options.stateDir);
  const desired = { ...loaded.desired, host: { ...host, stateDir } };
  const runtime = createHost({ host: desired.host, ...(tuning === undefined ? {} : { tuning }) });
  const target: PassTarget = { desired, runtime };
  return { loaded, ...target, target, stateDir };
}

/** Manifests that cannot be used: the error carries their problems, which the boundary shows with it. */
export function invalidManifests(dir: string, loaded: LoadResult, consequence: string): CliError {
  return new CliError(`the manifests in ${dir} are ${loaded.status}; ${consequence} (run \`qvmctl validate\`)`, { reason: 'invalid-manifests', diagnostics: loaded.diagnostics });
}

/** ANSI colour on stdout: terminal.ts's rule (no-color.org, FORCE_COLOR, a terminal). */
export function useColor(): boolean {
  return colorFor(process.stdout);
}
