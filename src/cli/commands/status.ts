// `qvmctl status`: each guest's desired state, phase, process, uptime, restarts and last exit.

import type { Command } from 'commander';
import { preparePass } from '../../executor/reconcile-pass.js';
import { describeStatus, renderStatusText } from '../../render/status.js';
import { openHost } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';

export function registerStatus(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('status').description('show every guest: desired state, phase, PID, uptime, restarts, last exit');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (options: ManifestOptions & OutputOptions & StateDirOptions) => {
    const host = await openHost(options, io);
    // The daemon's point of view (explicit: false): holds it would honour show as phases.
    const prepared = await preparePass({ desired: host.desired, runtime: host.runtime, stateDir: host.stateDir, explicit: false });
    const status = describeStatus({
      desired: host.desired,
      running: prepared.observation.guests,
      unmanaged: prepared.observation.unmanaged,
      histories: prepared.histories,
      plan: prepared.plan,
    });
    io.out(options.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderStatusText(status, Date.now()));
    result.exitCode = 0;
  });
}
