// `qvmctl fence`: shows whether the shutdown fence is up (no starts, no restarts); `--lift` takes it
// down, e.g. after an aborted or `--no-host` shutdown, so the guests may start again.

import type { Command } from 'commander';
import { createHost } from '../../runtime/create-host.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { resolveTarget } from '../state-dir.js';

interface FenceOptions extends ManifestOptions, OutputOptions, StateDirOptions {
  readonly lift?: boolean;
}

export function registerFence(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('fence').description('show the shutdown fence; --lift lets guests start and restart again');
  addManifestOption(command);
  addOutputOption(command);
  addStateDirOption(command)
    .option('--lift', 'lift the fence');
  command.action(async (options: FenceOptions) => {
    const host = createHost({ host: await resolveTarget(options) });
    const stateDir = host.where === 'local' ? host.stateDir : `${host.where}${host.stateDir}`;
    let fence;
    try {
      fence = await host.state.readFence();
      if (options.lift === true && fence !== undefined) await host.state.liftFence();
    } finally {
      await host.close();
    }
    const lifted = options.lift === true && fence !== undefined;
    if (options.output === 'json') {
      io.document('Fence', { stateDir, fenced: fence !== undefined && !lifted, fence: fence ?? null, lifted });
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
