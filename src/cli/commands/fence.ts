// `qvmctl fence`: shows whether the shutdown fence is up (no starts, no restarts); `--lift` takes it
// down, e.g. after an aborted or `--no-host` shutdown, so the guests may start again.

import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { liftFence, readFence } from '../../executor/fence.js';
import { loadManifests } from '../../manifest/load.js';
import { CliError } from '../errors.js';
import { addManifestOption, addOutputOption, type ManifestOptions, type OutputOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';

interface FenceOptions extends ManifestOptions, OutputOptions {
  readonly stateDir?: string;
  readonly lift?: boolean;
}

export function registerFence(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('fence').description('show the shutdown fence; --lift lets guests start and restart again');
  addManifestOption(command);
  addOutputOption(command);
  command
    .addOption(new Option('--state-dir <dir>', 'state directory (default: the Host manifest\'s stateDir)'))
    .option('--lift', 'lift the fence');
  command.action(async (options: FenceOptions) => {
    const stateDir = await findStateDir(options);
    const fence = await readFence(stateDir);
    if (options.lift === true && fence !== undefined) await liftFence(stateDir);
    const lifted = options.lift === true && fence !== undefined;
    if (options.output === 'json') {
      io.out(`${JSON.stringify({ stateDir, fenced: fence !== undefined && !lifted, fence: fence ?? null, lifted }, null, 2)}\n`);
    } else if (fence === undefined) {
      io.out(`No fence in ${stateDir}: guests start and restart as the manifests say.\n`);
    } else {
      const since = new Date(fence.since).toISOString();
      io.out(lifted
        ? `Fence lifted (was up since ${since}: ${fence.reason}). The next pass starts the guests the manifests want running.\n`
        : `Fenced since ${since}: ${fence.reason}. No guest starts or restarts; lift with \`qvmctl fence --lift\`.\n`);
    }
    result.exitCode = 0;
  });
}

async function findStateDir(options: FenceOptions): Promise<string> {
  if (options.stateDir !== undefined) return resolve(options.stateDir);
  const loaded = await loadManifests({ dir: options.manifests });
  if (loaded.desired === undefined) {
    throw new CliError(`cannot tell the state directory: the manifests in ${options.manifests} are ${loaded.status} (run \`qvmctl validate\`), or pass --state-dir`);
  }
  return loaded.desired.host.stateDir;
}
