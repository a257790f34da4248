// `qvmctl validate`: every problem of every manifest, as path:line:col, and a one-line verdict.

import type { Command } from 'commander';
import type { LoadResult } from '../../manifest/load.js';
import { addManifestOption, addOutputOption, type ManifestOptions, type OutputOptions } from '../options.js';
import { formatDiagnostic } from '../../model/diagnostic.js';
import { readManifestInput } from '../manifest-input.js';
import { diagnosticJson, type CliOutput, type CommandResult } from '../output.js';

export function registerValidate(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('validate').description('check the manifests: schema, references, conflicts; exit 1 if any error');
  addManifestOption(command);
  addOutputOption(command);
  command.action(async (options: ManifestOptions & OutputOptions) => {
    const { loaded } = await readManifestInput(options.manifests, 'look');
    const valid = loaded.status === 'ok';
    result.exitCode = valid ? 0 : 1;
    if (options.output === 'json') {
      io.document('ValidationReport', {
        valid,
        status: loaded.status,
        guests: loaded.desired?.guests.map((g) => g.name) ?? [],
        hostFile: loaded.hostFile ?? null,
        diagnostics: loaded.diagnostics.map(diagnosticJson),
      });
      return;
    }
    for (const d of loaded.diagnostics) io.out(`${formatDiagnostic(d)}\n`);
    io.out(`${summarize(loaded)}\n`);
  });
}

/** `5 guests, 1 host: valid` or `3 errors, 1 warning in 2 files`. */
export function summarize(loaded: LoadResult): string {
  const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  const warnings = loaded.diagnostics.length - errors.length;
  const warned = warnings > 0 ? ` (${count(warnings, 'warning')})` : '';
  if (loaded.status === 'ok' && loaded.desired !== undefined) {
    const hosts = loaded.hostFile === undefined ? 0 : 1;
    return `${count(loaded.desired.guests.length, 'guest')}, ${count(hosts, 'host')}: valid${warned}`;
  }
  if (loaded.status === 'empty' || loaded.status === 'unreadable') return `invalid: ${loaded.status} manifest directory`;
  const files = new Set(errors.map((d) => d.file));
  return `${count(errors.length, 'error')}${warned} in ${count(files.size, 'file')}`;
}
