// A guest's VM configuration in any of its three forms → the .qvmconf text qvm will be started with,
// checked by the qvmconf parser, with every qvm error mapped back to the manifest (or .qvmconf) line.

import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { QvmconfError } from '../qvmconf/ast.js';
import { parseQvmconf } from '../qvmconf/parse.js';
import { renderQvmconfWithOrigins, type RenderOption } from '../qvmconf/render.js';
import type { QvmInput } from './manifest-types.js';
import { extractQvmFacts, type QvmFacts } from './qvm-facts.js';
import type { FieldPath, SourceDocument } from './source-document.js';
import { buildStructuredQvm } from './structured-qvm.js';

export interface ResolvedQvm {
  readonly qvmconf: string;
  readonly system: string;
  readonly facts: QvmFacts;
  /** Extra inputs read (configFile contents), for the fingerprint. */
  readonly inputs: readonly string[];
}

export interface QvmConfigOptions {
  readonly doc: SourceDocument;
  readonly qvm: QvmInput;
  readonly name: string;
  /** Absolute path of the manifest file. */
  readonly manifestPath: string;
  /** Real paths of the directories a configFile may live in. */
  readonly allowedRoots: readonly string[];
}

const QVM: FieldPath = ['spec', 'qvm'];
/** Largest configFile read (a FIFO, device or huge file is refused unread). */
const MAX_CONFIG_BYTES = 1024 * 1024;
// A system name becomes a path component (/dev/qvm/<system>): no separators, no `..`.
const SYSTEM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const STRUCTURED_KEYS = ['system', 'cpus', 'ram', 'rom', 'load', 'initrd', 'vdevs', 'pass', 'logger', 'dump', 'set', 'simulator'] as const;

export async function resolveQvmConfig(options: QvmConfigOptions): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const { doc, qvm } = options;
  const forms = [qvm.config === undefined ? [] : ['config'], qvm.configFile === undefined ? [] : ['configFile'], STRUCTURED_KEYS.filter((k) => qvm[k] !== undefined)];
  const used = forms.filter((f) => f.length > 0);
  if (used.length !== 1) {
    const message = used.length === 0
      ? 'spec.qvm needs one of: structured fields (ram, cpus, vdevs…), `configFile`, or `config`'
      : `spec.qvm mixes forms (${used.map((f) => f.join(', ')).join(' / ')}): use structured fields OR configFile OR config`;
    const key = used[1]?.[0] ?? undefined;
    return { resolved: undefined, diagnostics: [problem(doc, key === undefined ? QVM : [...QVM, key], 'qvm-form', message, 'key')] };
  }
  if (qvm.config !== undefined) return checkRaw(doc, [{ text: qvm.config, file: doc.file }], (e) => mapToBlock(doc, e), []);
  if (qvm.configFile !== undefined) return resolveConfigFile(options, qvm.configFile);
  return resolveStructured(options);
}

function resolveStructured(options: QvmConfigOptions): { resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] } {
  const { doc } = options;
  const built = buildStructuredQvm(options);
  const rendered = renderQvmconfWithOrigins({ entries: built.entries, simKnobs: built.simKnobs });
  const parsed = parseQvmconf([{ text: rendered.text, file: doc.file }]);
  const diagnostics = [...built.diagnostics];
  if (!parsed.ok) {
    for (const error of parsed.errors) {
      const origin = rendered.origins[error.line - 1];
      const pos = (origin === undefined ? undefined : built.positions.get(origin)) ?? doc.locate(QVM, 'key');
      diagnostics.push({ severity: 'error', code: 'qvmconf', file: doc.file, ...pos, message: `qvm: ${error.message}` });
    }
  }
  if (diagnostics.length > 0) return { resolved: undefined, diagnostics };
  const system = built.entries[0]?.args[0] ?? options.name;
  return { resolved: { qvmconf: rendered.text, system, facts: extractQvmFacts(built.entries), inputs: [] }, diagnostics };
}

async function resolveConfigFile(options: QvmConfigOptions, configFile: string): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const { doc } = options;
  const path: FieldPath = [...QVM, 'configFile'];
  const display = join(dirname(doc.file), configFile);
  let real: string;
  try {
    real = await realpath(resolve(dirname(options.manifestPath), configFile));
  } catch {
    return { resolved: undefined, diagnostics: [problem(doc, path, 'config-file-missing', `config file \`${display}\` does not exist`)] };
  }
  if (!options.allowedRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
    return { resolved: undefined, diagnostics: [problem(doc, path, 'config-file-outside', `config file \`${configFile}\` resolves to ${real}, outside the manifest directory and Host configRoots`)] };
  }
  const info = await stat(real);
  if (!info.isFile()) return { resolved: undefined, diagnostics: [problem(doc, path, 'config-file-not-file', `config file \`${display}\` is not a regular file; not read`)] };
  if (info.size > MAX_CONFIG_BYTES) return { resolved: undefined, diagnostics: [problem(doc, path, 'config-file-too-large', `config file \`${display}\` has ${info.size} bytes, more than ${MAX_CONFIG_BYTES}; not read`)] };
  let text: string;
  try {
    text = await readFile(real, 'utf8');
  } catch (error) {
    return { resolved: undefined, diagnostics: [problem(doc, path, 'config-file-unreadable', `cannot read config file \`${display}\`: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)] };
  }
  return checkRaw(doc, [{ text, file: display }], (e) => ({ file: e.file, line: e.line, col: e.col }), [text], path);
}

// Raw text (config or configFile) is used as given; the parser checks it and tells its system.
function checkRaw(
  doc: SourceDocument,
  sources: readonly { text: string; file: string }[],
  map: (e: QvmconfError) => { file: string; line: number; col: number },
  inputs: readonly string[],
  path: FieldPath = [...QVM, 'config'],
): { resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] } {
  const parsed = parseQvmconf(sources);
  if (!parsed.ok) {
    return { resolved: undefined, diagnostics: parsed.errors.map((e) => ({ severity: 'error', code: 'qvmconf', ...map(e), message: `qvm: ${e.message}` })) };
  }
  const { system } = parsed.document;
  if (system === undefined) {
    return { resolved: undefined, diagnostics: [problem(doc, path, 'qvmconf-system', 'the configuration must set `system` as its first entry (it names /dev/qvm/<system>)')] };
  }
  if (!SYSTEM_NAME.test(system)) {
    return { resolved: undefined, diagnostics: [problem(doc, path, 'qvmconf-system', `system name \`${system}\` must be a plain word (letters, digits, . _ -; not starting with .): it names /dev/qvm/<system>`)] };
  }
  const text = sources.map((s) => s.text).join('\n');
  const entries: readonly RenderOption[] = parsed.document.entries;
  return { resolved: { qvmconf: text.endsWith('\n') ? text : `${text}\n`, system, facts: extractQvmFacts(entries), inputs }, diagnostics: [] };
}

function mapToBlock(doc: SourceDocument, error: QvmconfError): { file: string; line: number; col: number } {
  return { file: doc.file, ...doc.locateInText([...QVM, 'config'], error.line, error.col) };
}

function problem(doc: SourceDocument, path: FieldPath, code: string, message: string, target: 'key' | 'value' = 'value'): Diagnostic {
  return { severity: 'error', code, file: doc.file, ...doc.locate(path, target), message };
}
