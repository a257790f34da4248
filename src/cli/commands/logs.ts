// `qvmctl logs NAME [-f] [--tail N] [-p]`: a guest's console log (what its qvm wrote), like
// `kubectl logs`. Through the host port, so it reads the log where it is, on this machine or over
// ssh; it only reads, and never creates the state directory (docs/runtime.md, "Console logs").

import { InvalidArgumentError, type Command } from 'commander';
import { createHost } from '../../runtime/create-host.js';
import { isGuestName } from '../../runtime/state/layout.js';
import { CliError } from '../errors.js';
import { readManifestInput } from '../manifest-input.js';
import { addStateDirOption, type ManifestOptions, type StateDirOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';
import { resolveTarget } from '../state-dir.js';

interface LogsOptions extends ManifestOptions, StateDirOptions {
  readonly follow?: boolean;
  readonly tail?: number;
  readonly previous?: boolean;
}

export function registerLogs(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('logs').argument('<name>', 'guest name').description('print a guest\'s console log; -f follows it across rotations until Ctrl-C');
  // -f follows, as in kubectl logs and tail -f: here the manifest directory is --manifests only.
  command.option('--manifests <dir>', 'manifest directory', './manifests');
  addStateDirOption(command);
  command
    .option('-f, --follow', 'keep printing what the guest writes, across rotations, until Ctrl-C')
    .option('--tail <lines>', 'only the last N lines', parseLines)
    .option('-p, --previous', 'the log rotated last (console.log.1) instead of the current one');
  command.action(async (name: string, options: LogsOptions) => {
    const { loaded } = await readManifestInput(options.manifests, 'look');
    const known = loaded.desired?.guests.map((g) => g.name);
    const inManifests = known?.includes(name) ?? false;
    const unknown = (where: string): CliError => new CliError(`no guest named \`${name}\` in ${options.manifests}${known === undefined || known.length === 0 ? '' : ` (guests: ${known.join(', ')})`} and no console log for it in ${where}`, { reason: 'not-found' });
    const target = await resolveTarget(options);
    const where = target.connection.kind === 'ssh' ? `${target.stateDir} on ${target.connection.host}` : target.stateDir;
    if (!isGuestName(name)) throw unknown(where);
    if (options.previous === true && options.follow === true) throw new CliError('`--previous` and `--follow` do not go together: a rotated log does not grow');
    const host = createHost({ host: target });
    try {
      const tail = options.tail === undefined ? {} : { tailLines: options.tail };
      if (options.follow === true) {
        // A guest of the manifests that has no log yet is waited for; another name must have one.
        if (!inManifests && (await host.consoleLogs.read(name, { generation: 0, tailLines: 0 })) === undefined) throw unknown(where);
        const stop = new AbortController();
        const onSignal = (): void => { stop.abort(); };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await host.consoleLogs.follow(name, { ...tail, onText: (text) => { io.out(text); }, signal: stop.signal });
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
        }
      } else {
        const text = await host.consoleLogs.read(name, { generation: options.previous === true ? 1 : 0, ...tail });
        if (text === undefined) {
          if (!inManifests && (options.previous !== true || (await host.consoleLogs.read(name, { generation: 0, tailLines: 0 })) === undefined)) throw unknown(where);
          throw new CliError(options.previous === true ? `guest ${name} has no rotated console log in ${where}` : `guest ${name} has no console log in ${where} (it has not been started there)`);
        }
        io.out(text);
      }
    } finally {
      await host.close();
    }
    result.exitCode = 0;
  });
}

function parseLines(value: string): number {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`expected a number of lines, got \`${value}\``);
  return Number(value);
}
