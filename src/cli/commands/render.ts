// `qvmctl render NAME`: the .qvmconf text qvm will be started with for one guest.

import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { invalidManifests } from '../host-context.js';
import { addManifestOption, addOutputOption, type ManifestOptions, type OutputOptions } from '../options.js';
import { readManifestInput } from '../manifest-input.js';
import type { CliOutput, CommandResult } from '../output.js';

export function registerRender(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('render').argument('<name>', 'guest name').description('print the .qvmconf a guest is started with');
  addManifestOption(command);
  addOutputOption(command);
  command.action(async (name: string, options: ManifestOptions & OutputOptions) => {
    const { loaded } = await readManifestInput(options.manifests, 'look');
    if (loaded.desired === undefined) throw invalidManifests(options.manifests, loaded, `\`${name}\` cannot be rendered`);
    const guest = loaded.desired.guests.find((g) => g.name === name);
    if (guest === undefined) {
      const known = loaded.desired.guests.map((g) => g.name).join(', ');
      throw new CliError(`no guest named \`${name}\` in ${options.manifests}${known === '' ? '' : ` (guests: ${known})`}`, { reason: 'not-found' });
    }
    result.exitCode = 0;
    if (options.output === 'json') {
      io.document('GuestConfig', { guest: guest.name, qvmconf: guest.qvmconf, extraArgs: guest.extraArgs, workingDir: guest.workingDir ?? null });
      return;
    }
    io.out(guest.qvmconf);
    if (guest.extraArgs.length > 0) io.out(`# extra qvm arguments: ${guest.extraArgs.join(' ')}\n`);
  });
}
