// Parses qvm configuration sources (files and inline command-line options, in command-line order)
// into the AST of ast.ts, collecting every error with its file, line and column. The rules
// (docs/qvmconf.md): a context-opening option (`cpu`, `vdev`, `pass`, `reserve`) ends the context
// before it; a global option neither ends a context nor joins it; `set` applies to the implicit
// context of its variable.

import type { QvmconfContext, QvmconfEntry, QvmconfError, QvmconfOption, QvmconfParseResult } from './ast.js';
import { parseKnobs, tokenizeQvmconf, type KnobComment, type QvmconfToken } from './tokenize.js';
import {
  BLOB_OPTIONS,
  BLOB_TYPES,
  CONTEXT_OPTIONS,
  GLOBAL_OPTIONS,
  SET_VARIABLES,
  UNLISTED_VDEV_OPTION,
  contextOptionShape,
  contextsOf,
  type GlobalOptionShape,
  type OptionShape,
  type QvmconfContextKind,
} from './vocabulary.js';

/** One source of configuration text; inline command-line options use the file name `<command line>`. */
export interface QvmconfSource {
  readonly text: string;
  readonly file: string;
  /** How messages about other sources name this one (default: `file:line`), e.g. a manifest field. */
  readonly label?: string;
  /** The line of the file the user edits that a line of `text` is (text embedded in a manifest). */
  readonly lineOf?: (line: number) => number;
}

export const COMMAND_LINE_FILE = '<command line>';

interface MutableContext {
  readonly option: QvmconfContextKind;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly children: QvmconfOption[];
}

interface ParseState {
  readonly tokens: readonly QvmconfToken[];
  readonly labels: ReadonlyMap<string, string>;
  readonly lineMaps: ReadonlyMap<string, (line: number) => number>;
  index: number;
  readonly entries: (QvmconfEntry | MutableContext)[];
  readonly errors: QvmconfError[];
  context: MutableContext | undefined;
  system: string | undefined;
  optionsSeen: number;
  memoryDefined: boolean;
  ramSeen: boolean;
}

/** Where a parsed option goes: a top-level entry, an option of the open context, or a new context. */
type Placement = 'global' | 'child';

/** The concatenated token stream of all sources is one configuration, as qvm reads its command line. */
export function parseQvmconf(sources: readonly QvmconfSource[]): QvmconfParseResult {
  const tokens: QvmconfToken[] = [];
  const knobComments: KnobComment[] = [];
  const errors: QvmconfError[] = [];
  for (const source of sources) {
    const result = tokenizeQvmconf(source);
    tokens.push(...result.tokens);
    knobComments.push(...result.knobComments);
    errors.push(...result.errors);
  }
  const labels = new Map(sources.flatMap((s) => (s.label === undefined ? [] : [[s.file, s.label] as const])));
  const state: ParseState = {
    tokens, labels, lineMaps: new Map(sources.flatMap((s) => (s.lineOf === undefined ? [] : [[s.file, s.lineOf] as const]))), index: 0, entries: [], errors, context: undefined,
    system: undefined, optionsSeen: 0, memoryDefined: false, ramSeen: false,
  };
  while (state.index < tokens.length) parseOption(state);
  if (!state.ramSeen) {
    const first = sources[0];
    state.errors.push({
      file: first?.file ?? COMMAND_LINE_FILE, line: 1, col: 1,
      message: 'no `ram` option: a VM needs guest memory (`ram [addr,]size`)',
    });
  }
  if (state.errors.length > 0) return { ok: false, errors: state.errors };
  return { ok: true, document: { entries: state.entries, system: state.system, simKnobs: parseKnobs(knobComments) } };
}

// An option keyword where it stands: a global option, a blob type, or an option of the open context.
function isKeyword(state: ParseState, token: QvmconfToken): boolean {
  if (token.quoted === true) return false;
  const { text } = token;
  if (text in GLOBAL_OPTIONS || BLOB_TYPES.has(text)) return true;
  return state.context !== undefined && contextOptionShape(state.context.option, text) !== undefined;
}

// A required argument is missing at the end of the stream, or when the next line starts with an option.
function takeArgs(state: ParseState, keyword: QvmconfToken, shape: OptionShape): string[] | undefined {
  const args: string[] = [];
  let previous = keyword;
  while (args.length < shape.maxArgs) {
    const next = state.tokens[state.index];
    const required = args.length < shape.minArgs;
    const usable = next !== undefined && (required
      ? !(next.line > previous.line && isKeyword(state, next))
      : next.line === previous.line && !isKeyword(state, next));
    if (!usable) {
      if (!required) break;
      error(state, keyword, `missing argument for \`${keyword.text}\`: expected \`${shape.usage}\``);
      return undefined;
    }
    args.push(next.text);
    previous = next;
    state.index += 1;
  }
  return args;
}

function error(state: ParseState, at: { file: string; line: number; col: number }, message: string): void {
  state.errors.push({ file: at.file, line: at.line, col: at.col, message });
}

// The shape of an option where it stands, and whether it belongs to the open context.
function resolveShape(state: ParseState, name: string): { shape: OptionShape | GlobalOptionShape; placement: Placement } | undefined {
  const kind = state.context?.option;
  const own = kind === undefined ? undefined : contextOptionShape(kind, name);
  if (own !== undefined) return { shape: own, placement: 'child' };
  const global = GLOBAL_OPTIONS[name];
  if (global !== undefined) return { shape: global, placement: 'global' };
  // A vdev takes options no reference lists, but not those of another kind of context.
  if (kind === 'vdev' && contextsOf(name).length === 0) return { shape: UNLISTED_VDEV_OPTION, placement: 'child' };
  return undefined;
}

function parseOption(state: ParseState): void {
  const first = state.tokens[state.index];
  if (first === undefined) return;
  state.index += 1;
  let keyword = first;
  let blobType: string | undefined;
  const following = state.tokens[state.index];
  if (first.quoted !== true && BLOB_TYPES.has(first.text) && following !== undefined && following.quoted !== true && BLOB_OPTIONS.has(following.text)) {
    blobType = first.text;
    keyword = following;
    state.index += 1;
  }
  const resolved = keyword.quoted === true ? undefined : resolveShape(state, keyword.text);
  if (resolved === undefined) {
    reportMisplaced(state, keyword);
    return;
  }
  const args = takeArgs(state, keyword, resolved.shape);
  checkOrder(state, first, keyword.text, resolved.shape);
  state.optionsSeen += 1;
  if (args === undefined) return;
  checkValues(state, keyword, args, resolved.shape);
  const position = { file: first.file, line: first.line, col: first.col };
  const option: QvmconfOption = { option: keyword.text, args, ...position, ...(blobType === undefined ? {} : { blobType }) };
  const placement = keyword.text === 'set' && resolved.placement === 'global' ? placeSet(state, keyword, args[0] ?? '') : resolved.placement;
  if (placement === undefined) return;
  if (placement === 'child' && state.context !== undefined) {
    state.context.children.push(option);
    return;
  }
  const opens = 'opens' in resolved.shape ? resolved.shape.opens : undefined;
  if (opens !== undefined) {
    const context: MutableContext = { option: opens, args, ...position, children: [] };
    state.entries.push(context);
    state.context = context;
    return;
  }
  if (keyword.text === 'system' && state.system === undefined) state.system = args[0];
  state.entries.push(option);
}

// `set VAR VALUE` applies to the implicit context of VAR: the VM, the vCPU or the vdev being configured.
function placeSet(state: ParseState, keyword: QvmconfToken, variable: string): Placement | undefined {
  const open = state.context;
  const wanted = SET_VARIABLES[variable] ?? (open?.option === 'vdev' ? 'vdev' : 'global');
  if (wanted === 'global') return 'global';
  if (open?.option === wanted) return 'child';
  const where = open === undefined ? 'no context is open here' : `the open context is ${describeContext(state, open, keyword)}`;
  error(state, keyword, `\`set ${variable}\` applies to the \`${wanted}\` being configured, but ${where}`);
  return undefined;
}

function checkOrder(state: ParseState, at: QvmconfToken, name: string, shape: OptionShape | GlobalOptionShape): void {
  if (name === 'system' && state.optionsSeen > 0) error(state, at, '`system` must be the first entry of the configuration');
  if (name === 'ram' || name === 'rom') state.memoryDefined = true;
  if (name === 'ram') state.ramSeen = true;
  if ('usesGuestMemory' in shape && shape.usesGuestMemory && !state.memoryDefined) {
    error(state, at, `\`${name}\` uses guest memory: \`ram\` or \`rom\` must come before it`);
  }
}

// Arguments the reference enumerates (e.g. `unsupported register abort`) must be one of the listed values.
function checkValues(state: ParseState, keyword: QvmconfToken, args: readonly string[], shape: OptionShape): void {
  shape.values?.forEach((allowed, i) => {
    const value = args[i];
    if (allowed === undefined || value === undefined || allowed.includes(value)) return;
    error(state, keyword, `\`${keyword.text}\`: \`${value}\` is not one of ${allowed.map((v) => `\`${v}\``).join(', ')} (expected \`${shape.usage}\`)`);
  });
}

/** `` `vdev pl011` (line 6)``, naming the source too when the context was opened in another one. */
function describeContext(state: ParseState, context: MutableContext, from: { file: string }): string {
  return `\`${contextHead(context)}\` (${openedAt(state, context, from).replace(/^at /, '')})`;
}

function contextHead(context: MutableContext): string {
  return [context.option, ...context.args].join(' ');
}

/** `at line 6`, `at a.qvmconf:6`, or `in spec.qvm` for a source with a label. */
function openedAt(state: ParseState, context: MutableContext, from: { file: string }): string {
  if (context.file === from.file) return `at line ${state.lineMaps.get(context.file)?.(context.line) ?? context.line}`;
  const label = state.labels.get(context.file);
  return label === undefined ? `at ${context.file}:${context.line}` : `in ${label}`;
}

// An option that is not valid where it stands: report it with the context that is open, then skip
// what look like its arguments (the rest of its line, up to the next known option) so one typo
// gives one error.
function reportMisplaced(state: ParseState, keyword: QvmconfToken): void {
  const open = state.context;
  const kinds = keyword.quoted === true ? [] : contextsOf(keyword.text);
  let message: string;
  if (keyword.quoted === true) {
    message = `a quoted argument (\`"${keyword.text}"\`) where an option was expected`;
  } else if (kinds.length > 0) {
    const where = open === undefined ? 'no context is open here' : `the open context is ${describeContext(state, open, keyword)}`;
    message = `\`${keyword.text}\` applies to a ${joinWords(kinds, 'or')} context, but ${where}`;
  } else if (BLOB_TYPES.has(keyword.text)) {
    message = `\`${keyword.text}\` is a blob type: it must stand right before \`load\` or \`pass\``;
  } else if (open === undefined) {
    message = `unknown option \`${keyword.text}\``;
  } else {
    message = `unknown option \`${keyword.text}\` in the \`${contextHead(open)}\` context opened ${openedAt(state, open, keyword)}: a \`${open.option}\` takes ${joinWords(Object.keys(CONTEXT_OPTIONS[open.option]), 'or')} (global options may appear anywhere)`;
  }
  error(state, keyword, message);
  state.optionsSeen += 1;
  let previous = keyword;
  for (let next = state.tokens[state.index]; next !== undefined; next = state.tokens[state.index]) {
    if (next.line !== previous.line || isKeyword(state, next) || (next.quoted !== true && contextsOf(next.text).length > 0)) break;
    previous = next;
    state.index += 1;
  }
}

/** ['a', 'b', 'c'] → `` `a`, `b` or `c` ``. */
function joinWords(items: readonly string[], conjunction: 'and' | 'or'): string {
  const quoted = items.map((i) => `\`${i}\``);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1) ?? ''}`;
}

/** Reads the options of one context kind, e.g. every `vdev` with its type in `args[0]`. */
export function findContexts(entries: readonly QvmconfEntry[], kind: QvmconfContextKind): readonly QvmconfContext[] {
  return entries.filter((e): e is QvmconfContext => 'children' in e && e.option === kind);
}

/** The value of the last occurrence of `name` among options (the one qvm uses: last one wins). */
export function lastOption(options: readonly QvmconfOption[], name: string): QvmconfOption | undefined {
  return options.filter((o) => o.option === name).at(-1);
}
