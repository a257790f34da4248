// Commands from manifests: argv[0] must be allowed by the Host, must not be a shell or a launcher
// that hands its arguments to one, and placeholders are filled per element, never in argv[0].

import { basename } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { FieldPath, SourceDocument } from './source-document.js';

// Executables that interpret a string as a program (or start whatever their arguments name):
// allowing one would let a manifest run anything, so they are refused even when listed.
const SHELLS: ReadonlySet<string> = new Set([
  'sh', 'bash', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'zsh', 'csh', 'tcsh', 'fish', 'busybox', 'toybox',
  'env', 'xargs', 'nohup', 'setsid', 'nice', 'timeout', 'sudo', 'su', 'doas', 'eval', 'exec', 'script',
  'python', 'python3', 'perl', 'ruby', 'node', 'awk', 'gawk', 'lua', 'tclsh', 'expect',
]);

/** True when the executable is a shell or launcher that qvmctl refuses to run from a manifest. */
export function isShellLike(executable: string): boolean {
  return SHELLS.has(basename(executable));
}

/** Problems with an argv from a manifest: its executable must be listed in Host `commands.allow`. */
export function checkCommand(options: { doc: SourceDocument; path: FieldPath; argv: readonly string[]; allow: readonly string[] }): Diagnostic[] {
  const executable = options.argv[0];
  if (executable === undefined) return [];
  const at = { severity: 'error' as const, file: options.doc.file, ...options.doc.locate([...options.path, 0]) };
  if (isShellLike(executable)) {
    return [{ ...at, code: 'command-shell', message: `executable \`${executable}\` is a shell or launcher; manifests run commands directly, without a shell` }];
  }
  if (/\{(name|system)\}/.test(executable)) {
    return [{ ...at, code: 'command-placeholder', message: `executable \`${executable}\` contains a placeholder; {name} and {system} are allowed in arguments only` }];
  }
  if (options.allow.includes(executable)) return [];
  const allowed = options.allow.length === 0 ? 'the Host allows no commands' : `allowed: ${options.allow.join(', ')}`;
  return [{ ...at, code: 'command-not-allowed', message: `executable \`${executable}\` is not in Host spec.commands.allow (${allowed})` }];
}

/** Host allow-list entries that name a shell or launcher (they would open a shell to Guest manifests). */
export function checkHostCommands(options: { doc: SourceDocument; entries: readonly { path: FieldPath; executable: string | undefined }[] }): Diagnostic[] {
  return options.entries.flatMap(({ path, executable }) => (executable === undefined || !isShellLike(executable) ? [] : [{
    severity: 'error' as const, code: 'command-shell', file: options.doc.file, ...options.doc.locate(path),
    message: `executable \`${executable}\` is a shell or launcher; qvmctl runs commands directly, without a shell`,
  }]));
}

/** `{name}` and `{system}` replaced inside each argv element; never joined, never given to a shell. */
export function substituteArgv(argv: readonly string[], values: { name: string; system: string }): string[] {
  return argv.map((arg) => arg.replaceAll('{name}', values.name).replaceAll('{system}', values.system));
}
