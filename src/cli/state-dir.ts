// Which state directory a command talks about: `--state-dir`, else the Host manifest's.

import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadManifests } from '../manifest/load.js';
import { CliError } from './errors.js';

export interface StateDirOptions {
  readonly manifests: string;
  readonly stateDir?: string;
}

export function addStateDirOption(command: Command): Command {
  return command.addOption(new Option('--state-dir <dir>', 'state directory (default: the Host manifest\'s stateDir)'));
}

export async function resolveStateDir(options: StateDirOptions): Promise<string> {
  if (options.stateDir !== undefined) return resolve(options.stateDir);
  const loaded = await loadManifests({ dir: options.manifests });
  if (loaded.desired === undefined) {
    throw new CliError(`cannot tell the state directory: manifests in ${options.manifests} are ${loaded.status} (run \`qvmctl validate\`), or pass --state-dir`);
  }
  return loaded.desired.host.stateDir;
}
