// `qvmctl render NAME`: the .qvmconf text qvm will be started with for one guest.

import type { Command } from 'commander';
import { formatDiagnostic } from '../../model/diagnostic.js';
import { CliError } from '../errors.js';
import { addManifestOption, type ManifestOptions } from '../options.js';
import { readManifestInput } from '../manifest-input.js';
import type { CommandResult, Output } from '../output.js';

export function registerRender(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('render').argument('<name>', 'guest name').description('print the .qvmconf a guest is started with');
  addManifestOption(command);
  command.action(async (name: string, options: ManifestOptions) => {
    const { loaded } = await readManifestInput(options.manifests, 'look');
    if (loaded.desired === undefined) {
      for (const d of loaded.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      throw new CliError(`cannot render \`${name}\`: the manifests in ${options.manifests} are ${loaded.status} (run \`qvmctl validate\`)`);
    }
    const guest = loaded.desired.guests.find((g) => g.name === name);
    if (guest === undefined) {
      const known = loaded.desired.guests.map((g) => g.name).join(', ');
      throw new CliError(`no guest named \`${name}\` in ${options.manifests}${known === '' ? '' : ` (guests: ${known})`}`);
    }
    io.out(guest.qvmconf);
    if (guest.extraArgs.length > 0) io.out(`# extra qvm arguments: ${guest.extraArgs.join(' ')}\n`);
    result.exitCode = 0;
  });
}
