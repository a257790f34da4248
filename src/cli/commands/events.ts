// `qvmctl events`: what the daemon saw and did recently, like `kubectl get events`.

import type { Command } from 'commander';
import { fetchDaemonEvents, type DaemonEvent } from '../daemon-client.js';
import { CliError } from '../errors.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { resolveStateDir } from '../state-dir.js';
import { formatTable } from '../../render/table.js';

export function registerEvents(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('events').description('recent events of the running daemon (starts, exits, holds, manifest errors)');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.option('--guest <name>', 'only events of this guest');
  command.action(async (options: ManifestOptions & StateDirOptions & OutputOptions & { readonly guest?: string }) => {
    const stateDir = await resolveStateDir(options);
    const events = await fetchDaemonEvents(stateDir, options.guest);
    if (events === undefined) throw noDaemon(stateDir);
    result.exitCode = 0;
    if (options.output === 'json') {
      io.document('EventList', { events });
      return;
    }
    if (events.length === 0) {
      io.out('no events\n');
      return;
    }
    io.out(formatTable(['TIME', 'GUEST', 'TYPE', 'REASON', 'MESSAGE'], events.map(toRow)));
  });
}

export function noDaemon(stateDir: string): CliError {
  return new CliError(`no qvmctl daemon runs on state directory ${stateDir} (start one with \`qvmctl run\`)`, { exitCode: 3, reason: 'no-daemon' });
}

function toRow(e: DaemonEvent): string[] {
  const time = new Date(e.time).toISOString().slice(11, 23);
  return [time, e.guest ?? '-', e.type, e.reason, e.count > 1 ? `${e.message} (x${e.count})` : e.message];
}
