// A guest's VM configuration in any of its three forms → the .qvmconf text qvm will be started with,
// checked by the qvmconf parser, with every qvm error mapped back to the manifest (or .qvmconf) line.

import type { Diagnostic } from '../model/diagnostic.js';
import { dirname } from 'node:path';
import type { QvmconfError, QvmconfOption } from '../qvmconf/ast.js';
import { parseQvmconf, type QvmconfSource } from '../qvmconf/parse.js';
import { renderQvmconfWithOrigins, type RenderOption } from '../qvmconf/render.js';
import { readAllowedFile } from './allowed-file.js';
import { resolveExtraArgs } from './extra-args.js';
import { formatFieldPath } from './field-path.js';
import type { QvmInput } from './manifest-types.js';
import { extractQvmFacts, type QvmFacts } from './qvm-facts.js';
import type { FieldPath, SourceDocument } from './source-document.js';
import { buildStructuredQvm } from './structured-qvm.js';

export interface ResolvedQvm {
  readonly qvmconf: string;
  readonly system: string;
  readonly facts: QvmFacts;
  /** The qvm arguments after `@<config>`, checked; an `@file` among them is given by its real path. */
  readonly extraArgs: readonly string[];
  /** Extra inputs read (configFile contents, `@file`s of extraArgs), for the fingerprint. */
  readonly inputs: readonly string[];
  /** Contents of the `@file`s of extraArgs: what qvm reads besides the config, for the config hash. */
  readonly included: readonly string[];
  /** Where a relative path in the configuration points on a local host (docs/manifests.md, "Paths"). */
  readonly workingDir: string;
  /** The files the configuration names (`load`, `dump`), with where it names them. */
  readonly files: readonly QvmFileRef[];
}

/** A path qvm opens: the file of a `load` (any blob type), or the directory of a `dump`. */
export interface QvmFileRef {
  readonly option: 'load' | 'dump';
  /** As written before the option, e.g. `initrd` in `initrd load …`. */
  readonly blobType: string | undefined;
  readonly path: string;
  readonly at: { readonly file: string; readonly line: number; readonly col: number };
}

/** The file of `load [addr,]file`, the directory of `dump dir` (a `dump "|command"` names none). */
function fileRefs(entries: readonly QvmconfOption[], at: (entry: QvmconfOption) => QvmFileRef['at']): QvmFileRef[] {
  const refs: QvmFileRef[] = [];
  for (const entry of entries) {
    const value = entry.args[0];
    if (value === undefined) continue;
    if (entry.option === 'load') refs.push({ option: 'load', blobType: entry.blobType, path: value.replace(/^(0x[0-9a-fA-F]+|[0-9]+),/, ''), at: at(entry) });
    if (entry.option === 'dump' && !value.startsWith('|')) refs.push({ option: 'dump', blobType: undefined, path: value, at: at(entry) });
  }
  return refs;
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
// A system name becomes a path component (/dev/qvm/<system>): no separators, no `..`.
const SYSTEM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

export async function resolveQvmConfig(options: QvmConfigOptions): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const base = await resolveForm(options);
  const extraArgs = options.qvm.extraArgs ?? [];
  if (base.resolved === undefined || extraArgs.length === 0) return base;
  return resolveExtraArgs(options, base.resolved, extraArgs);
}

async function resolveForm(options: QvmConfigOptions): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const { doc, qvm } = options;
  // The schema let through exactly one form (schema-rules.ts reports a mix or none).
  if (qvm.config !== undefined) {
    const lineOf = (line: number): number => doc.locateInText([...QVM, 'config'], line, 1).line;
    return checkRaw(doc, [{ text: qvm.config, file: doc.file, lineOf }], (e) => mapToBlock(doc, e), [], dirname(options.manifestPath));
  }
  if (qvm.configFile !== undefined) return resolveConfigFile(options, qvm.configFile);
  return resolveStructured(options);
}

function resolveStructured(options: QvmConfigOptions): { resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] } {
  const { doc } = options;
  const built = buildStructuredQvm(options);
  const rendered = renderQvmconfWithOrigins({ entries: built.entries, simKnobs: built.simKnobs });
  const diagnostics = [...built.diagnostics];
  // An argument the text cannot hold (a quote) would be misread: its own error says enough.
  const unrenderable = built.diagnostics.some((d) => d.code === 'qvm-token');
  // Messages name the manifest line an option came from, not the line of the rendered text.
  const lineOf = (line: number): number => {
    const origin = rendered.origins[line - 1];
    return (origin === undefined ? undefined : built.positions.get(origin))?.line ?? line;
  };
  const parsed = unrenderable ? { ok: true as const } : parseQvmconf([{ text: rendered.text, file: doc.file, lineOf }]);
  if (!parsed.ok) {
    for (const error of parsed.errors) {
      const origin = rendered.origins[error.line - 1];
      const pos = (origin === undefined ? undefined : built.positions.get(origin)) ?? doc.locate(QVM, 'key');
      diagnostics.push({ severity: 'error', code: 'qvmconf', file: doc.file, ...pos, message: `qvm: ${error.message}` });
    }
  }
  if (diagnostics.length > 0) return { resolved: undefined, diagnostics };
  const system = built.entries[0]?.args[0] ?? options.name;
  const at = (entry: QvmconfOption): QvmFileRef['at'] => {
    const origin = rendered.origins[entry.line - 1];
    return { file: doc.file, ...((origin === undefined ? undefined : built.positions.get(origin)) ?? doc.locate(QVM, 'key')) };
  };
  const files = parsed.ok && 'document' in parsed ? fileRefs(parsed.document.entries, at) : [];
  return { resolved: { qvmconf: rendered.text, system, facts: extractQvmFacts(built.entries), extraArgs: [], inputs: [], included: [], workingDir: dirname(options.manifestPath), files }, diagnostics };
}

async function resolveConfigFile(options: QvmConfigOptions, configFile: string): Promise<{ resolved: ResolvedQvm | undefined; diagnostics: Diagnostic[] }> {
  const { doc } = options;
  const path: FieldPath = [...QVM, 'configFile'];
  const read = await readAllowedFile(options, configFile, path);
  if ('diagnostic' in read) return { resolved: undefined, diagnostics: [read.diagnostic] };
  return checkRaw(doc, [{ text: read.text, file: read.display }], (e) => ({ file: e.file, line: e.line, col: e.col }), [read.text], dirname(read.real), path);
}

// Raw text (config or configFile) is used as given; the parser checks it and tells its system.
function checkRaw(
  doc: SourceDocument,
  sources: readonly QvmconfSource[],
  map: (e: QvmconfError) => { file: string; line: number; col: number },
  inputs: readonly string[],
  workingDir: string,
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
  const files = fileRefs(parsed.document.entries, (entry) => map({ file: entry.file, line: entry.line, col: entry.col, message: '' }));
  return { resolved: { qvmconf: text.endsWith('\n') ? text : `${text}\n`, system, facts: extractQvmFacts(entries), extraArgs: [], inputs, included: [], workingDir, files }, diagnostics: [] };
}

function mapToBlock(doc: SourceDocument, error: QvmconfError): { file: string; line: number; col: number } {
  return { file: doc.file, ...doc.locateInText([...QVM, 'config'], error.line, error.col) };
}

function problem(doc: SourceDocument, path: FieldPath, code: string, message: string, target: 'key' | 'value' = 'value'): Diagnostic {
  return { severity: 'error', code, file: doc.file, ...doc.locate(path, target), field: formatFieldPath(path), message };
}
