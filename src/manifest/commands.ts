// Commands from manifests: argv[0] must be allowed by the Host, placeholders are filled per element.

import type { Diagnostic } from '../model/diagnostic.js';
import type { FieldPath, SourceDocument } from './source-document.js';

/** Problems with an argv from a manifest: its executable must be listed in Host `commands.allow`. */
export function checkCommand(options: { doc: SourceDocument; path: FieldPath; argv: readonly string[]; allow: readonly string[] }): Diagnostic[] {
  const executable = options.argv[0];
  if (executable === undefined || options.allow.includes(executable)) return [];
  const pos = options.doc.locate([...options.path, 0]);
  const allowed = options.allow.length === 0 ? 'the Host allows no commands' : `allowed: ${options.allow.join(', ')}`;
  return [{
    severity: 'error', code: 'command-not-allowed', file: options.doc.file, ...pos,
    message: `executable \`${executable}\` is not in Host spec.commands.allow (${allowed})`,
  }];
}

/** `{name}` and `{system}` replaced inside each argv element; never joined, never given to a shell. */
export function substituteArgv(argv: readonly string[], values: { name: string; system: string }): string[] {
  return argv.map((arg) => arg.replaceAll('{name}', values.name).replaceAll('{system}', values.system));
}
