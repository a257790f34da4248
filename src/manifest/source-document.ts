// YAML text → documents that keep their node positions, so every problem can name file:line:col.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';

export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface SourceDocument {
  readonly file: string;
  readonly data: unknown;
  /** Position of the node at `path` (or of its key), falling back to the nearest ancestor that exists. */
  locate(path: FieldPath, target?: 'key' | 'value'): Position;
  /** Position of line/col (1-based) inside the string scalar at `path`, for block scalars; else the scalar's own position. */
  locateInText(path: FieldPath, line: number, col: number): Position;
}

export interface ParsedFile {
  readonly documents: readonly SourceDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

const MAX_ALIASES = 100;

// Never throws: syntax errors, garbage and empty files all become diagnostics.
export function parseYamlFile(options: { file: string; bytes: Uint8Array }): ParsedFile {
  const { file } = options;
  const text = decodeText(options.bytes);
  if (text === undefined) {
    return { documents: [], diagnostics: [{ severity: 'error', code: 'not-text', file, message: 'file is not UTF-8 text (binary content?)' }] };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [];
  const diagnostics: Diagnostic[] = [];
  const documents: SourceDocument[] = [];
  for (const doc of all) {
    for (const e of doc.errors) diagnostics.push(yamlProblem(file, 'error', e.message, e.linePos?.[0]));
    for (const w of doc.warnings) diagnostics.push(yamlProblem(file, 'warning', w.message, w.linePos?.[0]));
    if (doc.errors.length > 0 || doc.contents === null) continue;
    try {
      const data: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
      documents.push(createSourceDocument({ file, doc, data, lineCounter, text }));
    } catch (error) {
      const pos = lineCounter.linePos(doc.contents.range[0]);
      diagnostics.push(yamlProblem(file, 'error', `cannot resolve document: ${String(error instanceof Error ? error.message : error)}`, pos));
    }
  }
  if (documents.length === 0 && diagnostics.length === 0) {
    diagnostics.push({ severity: 'error', code: 'empty-file', file, message: 'file holds no YAML document (empty or only comments); add a manifest or remove the file' });
  }
  return { documents, diagnostics };
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

function yamlProblem(file: string, severity: 'error' | 'warning', message: string, pos: { line: number; col: number } | undefined): Diagnostic {
  const first = message.split('\n')[0] ?? message;
  const short = first.replace(/ at line \d+, column \d+:?$/, '');
  return { severity, code: 'yaml-syntax', file, line: pos?.line ?? 1, col: pos?.col ?? 1, message: `YAML: ${short}` };
}

function createSourceDocument(options: { file: string; doc: Document.Parsed; data: unknown; lineCounter: LineCounter; text: string }): SourceDocument {
  const { file, doc, data, lineCounter, text } = options;
  const position = (offset: number): Position => lineCounter.linePos(offset);
  const walk = (path: FieldPath): { node: Node; key: Node | undefined } => {
    let node = doc.contents as Node;
    let key: Node | undefined;
    for (const segment of path) {
      const next = childOf(doc, node, segment);
      if (next === undefined) break;
      ({ node, key } = next);
    }
    return { node, key };
  };
  return {
    file,
    data,
    locate(path, target = 'value') {
      const { node, key } = walk(path);
      const chosen = target === 'key' && key !== undefined ? key : node;
      return position(chosen.range?.[0] ?? 0);
    },
    locateInText(path, line, col) {
      const { node } = walk(path);
      const start = position(node.range?.[0] ?? 0);
      if (!isScalar(node) || (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED')) return start;
      // The block's indentation is that of its first non-blank line; deeper lines keep the rest in `col`.
      const lines = text.split('\n');
      const first = lines.slice(start.line).find((l) => l.trim() !== '') ?? '';
      const indent = first.length - first.trimStart().length;
      return { line: start.line + line, col: indent + col };
    },
  };
}

function childOf(doc: Document.Parsed, parent: Node, segment: PathSegment): { node: Node; key: Node | undefined } | undefined {
  const resolved = isAlias(parent) ? (parent.resolve(doc) as Node | undefined) : parent;
  if (resolved === undefined) return undefined;
  if (isMap(resolved)) {
    for (const pair of resolved.items) {
      const key = pair.key;
      if (isScalar(key) && String(key.value) === String(segment)) {
        const value = pair.value as Node | null;
        return value === null ? { node: key, key } : { node: value, key };
      }
    }
    return undefined;
  }
  if (isSeq(resolved)) {
    const item = resolved.items[Number(segment)] as Node | undefined;
    return item === undefined ? undefined : { node: item, key: undefined };
  }
  return undefined;
}
