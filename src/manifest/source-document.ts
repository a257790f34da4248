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

// What a document keeps of its YAML tree: where each node (and its key) starts, by path, written
// into one string. The tree itself is about ten times the text of a manifest and is dropped once
// the document is read, so a directory of thousands of manifests holds their data and this index
// only (docs/architecture.md, "Start-up"). Each entry is
// `ENTRY path-segments-joined-by-SEGMENT PATH_END keyOffset,valueOffset,blockIndent` (-1 for none);
// a document with a key holding one of these characters keeps its tree instead.
const ENTRY = '\u0003';
const SEGMENT = '\u0001';
const PATH_END = '\u0002';
const reserved = (name: string): boolean => name.includes(ENTRY) || name.includes(SEGMENT) || name.includes(PATH_END);

interface Spot {
  readonly key: number;
  readonly value: number;
  readonly blockIndent: number;
}

const pathKey = (path: FieldPath): string => path.map(String).join(SEGMENT);

function indexPositions(doc: Document.Parsed, text: string): string | undefined {
  const parts: string[] = [];
  const seen = { reservedKey: false };
  const visit = (node: Node, path: string, key: number): void => {
    const value = node.range?.[0] ?? 0;
    const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? blockIndentAt(text, value) : -1;
    parts.push(`${ENTRY}${path}${PATH_END}${key},${value},${block}`);
    const child = (segment: string): string => (path === '' ? segment : `${path}${SEGMENT}${segment}`);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (reserved(name)) seen.reservedKey = true;
        const keyAt = pair.key.range?.[0] ?? 0;
        const v = pair.value as Node | null;
        if (v === null) parts.push(`${ENTRY}${child(name)}${PATH_END}${keyAt},${keyAt},-1`);
        else visit(v, child(name), keyAt);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => { visit(item as Node, child(String(i)), -1); });
    }
    // An alias is not followed: a path through it is located at the alias.
  };
  if (doc.contents !== null) visit(doc.contents, '', -1);
  return seen.reservedKey ? undefined : parts.join('');
}

function lookUp(index: string, key: string): Spot | undefined {
  // The first entry wins, as a walk from the top finds the first of duplicate keys.
  const at = index.indexOf(`${ENTRY}${key}${PATH_END}`);
  if (at === -1) return undefined;
  const from = at + key.length + 2;
  const to = index.indexOf(ENTRY, from);
  const [k, v, b] = index.slice(from, to === -1 ? undefined : to).split(',').map(Number);
  return { key: k ?? -1, value: v ?? 0, blockIndent: b ?? -1 };
}

// A block scalar's content starts on the line after its header; its indentation is that of its first non-blank line.
function blockIndentAt(text: string, offset: number): number {
  let at = text.indexOf('\n', offset);
  while (at !== -1) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end === -1 ? undefined : end);
    if (line.trim() !== '') return line.length - line.trimStart().length;
    at = end;
  }
  return 0;
}

function createSourceDocument(options: { file: string; doc: Document.Parsed; data: unknown; lineCounter: LineCounter; text: string }): SourceDocument {
  const { file, data, lineCounter } = options;
  const position = (offset: number): Position => lineCounter.linePos(offset);
  const index = indexPositions(options.doc, options.text);
  // Only what the lookups need is captured: the index, or (rarely) the tree and its text.
  const kept = index === undefined ? { doc: options.doc, text: options.text } : undefined;
  // The deepest node on `path` that exists (the document itself at worst).
  const find = (path: FieldPath): Spot => {
    if (index === undefined) return kept === undefined ? { key: -1, value: 0, blockIndent: -1 } : walkTree(kept.doc, kept.text, path);
    for (let n = path.length; n >= 0; n--) {
      const spot = lookUp(index, pathKey(path.slice(0, n)));
      if (spot !== undefined) return spot;
    }
    return { key: -1, value: 0, blockIndent: -1 };
  };
  return {
    file,
    data,
    locate(path, target = 'value') {
      const spot = find(path);
      return position(target === 'key' && spot.key !== -1 ? spot.key : spot.value);
    },
    locateInText(path, line, col) {
      const spot = find(path);
      const start = position(spot.value);
      if (spot.blockIndent === -1) return start;
      // Deeper lines of the block keep the rest of their indentation in `col`.
      return { line: start.line + line, col: spot.blockIndent + col };
    },
  };
}

// The same lookup on the tree itself, for a document the index cannot hold.
function walkTree(doc: Document.Parsed, text: string, path: FieldPath): Spot {
  let node = doc.contents as Node;
  let key: Node | undefined;
  for (const segment of path) {
    const next = childOf(doc, node, segment);
    if (next === undefined) break;
    ({ node, key } = next);
  }
  const value = node.range?.[0] ?? 0;
  const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? blockIndentAt(text, value) : -1;
  return { key: key?.range?.[0] ?? -1, value, blockIndent: block };
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
