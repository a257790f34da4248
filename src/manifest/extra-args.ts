// `spec.qvm.extraArgs`: the qvm arguments after `@<config>`. qvm reads its command line as one token
// stream with the configuration, so they are checked as part of it, by the same qvmconf parser
// (unknown options, missing arguments, order), and what they add (a `pass loc`, a `runmask`) counts in
// the cross-guest checks. An `@file` among them is held to the configFile rule and handed to qvm
// by its real path (docs/manifests.md).

import type { Diagnostic } from '../model/diagnostic.js';
import type { QvmconfError } from '../qvmconf/ast.js';
import { parseQvmconf, type QvmconfSource } from '../qvmconf/parse.js';
import type { RenderOption } from '../qvmconf/render.js';
import { readAllowedFile } from './allowed-file.js';
import { formatFieldPath } from './field-path.js';
import type { QvmConfigOptions, ResolvedQvm } from './qvm-config.js';
import { extractQvmFacts } from './qvm-facts.js';
import type { FieldPath, Position } from './source-document.js';

const EXTRA_ARGS: FieldPath = ['spec', 'qvm', 'extraArgs'];
// Source names no path can have: the configuration itself, and each run of inline words.
const CONFIG_SOURCE = '\u0000config';
const INLINE_SOURCE = '\u0000extraArgs';

/** One source of the token stream and the extraArgs item(s) it came from. */
interface StreamPart {
  readonly source: QvmconfSource;
  /** Inline words: the item index and the column (1-based) where each starts on the joined line. */
  readonly words?: readonly { readonly index: number; readonly col: number }[];
  /** An `@file`: the item that named it. */
  readonly index?: number;
}

export async function resolveExtraArgs(options: QvmConfigOptions, base: ResolvedQvm, args: readonly string[]): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const built = await buildStream(options, base, args);
  if ('diagnostics' in built) return { resolved: undefined, diagnostics: built.diagnostics };
  const parsed = parseQvmconf(built.parts.map((p) => p.source));
  if (!parsed.ok) return { resolved: undefined, diagnostics: parsed.errors.map((e) => locateError(options, built.parts, e)) };
  const entries: readonly RenderOption[] = parsed.document.entries;
  return {
    resolved: {
      ...base,
      facts: extractQvmFacts(entries),
      extraArgs: built.argv,
      inputs: [...base.inputs, ...built.included],
      included: built.included,
    },
    diagnostics: [],
  };
}

// The sources in qvm's order, as the simulator reads them (src/sim/command-line.ts): the config
// file, then consecutive inline words joined into one line, each `@file` as a file of its own.
async function buildStream(options: QvmConfigOptions, base: ResolvedQvm, args: readonly string[]): Promise<{ parts: StreamPart[]; argv: string[]; included: string[] } | { diagnostics: Diagnostic[] }> {
  const parts: StreamPart[] = [{ source: { text: base.qvmconf, file: CONFIG_SOURCE, label: 'spec.qvm' } }];
  const argv: string[] = [];
  const included: string[] = [];
  const problems: Diagnostic[] = [];
  let words: { index: number; col: number; text: string }[] = [];
  const flush = (): void => {
    if (words.length === 0) return;
    const file = `${INLINE_SOURCE}${parts.length}`;
    parts.push({ source: { text: words.map((w) => w.text).join(' '), file, label: 'spec.qvm.extraArgs' }, words });
    words = [];
  };
  for (const [index, arg] of args.entries()) {
    if (!arg.startsWith('@')) {
      const last = words.at(-1);
      words.push({ index, text: arg, col: last === undefined ? 1 : last.col + last.text.length + 1 });
      argv.push(arg);
      continue;
    }
    flush();
    const read = await readAllowedFile(options, arg.slice(1), [...EXTRA_ARGS, index]);
    if ('diagnostic' in read) {
      problems.push(read.diagnostic);
      continue;
    }
    parts.push({ source: { text: read.text, file: read.display }, index });
    argv.push(`@${read.real}`);
    included.push(read.text);
  }
  flush();
  return problems.length > 0 ? { diagnostics: problems } : { parts, argv, included };
}

// An error in inline words points at the extraArgs item; one in an `@file` at the file's own line.
function locateError(options: QvmConfigOptions, parts: readonly StreamPart[], error: QvmconfError): Diagnostic {
  const { doc } = options;
  const part = parts.find((p) => p.source.file === error.file);
  const message = `qvm: ${error.message}`;
  const at = (path: FieldPath, pos: Position, file = doc.file): Diagnostic => ({ severity: 'error', code: 'qvmconf', file, ...pos, field: formatFieldPath(path), message });
  if (part?.words !== undefined) {
    const word = [...part.words].reverse().find((w) => w.col <= error.col) ?? part.words[0];
    const path = word === undefined ? EXTRA_ARGS : [...EXTRA_ARGS, word.index];
    return at(path, doc.locate(path));
  }
  if (part?.index !== undefined) return at([...EXTRA_ARGS, part.index], { line: error.line, col: error.col }, error.file);
  return at(['spec', 'qvm'], doc.locate(['spec', 'qvm'], 'key'));
}
