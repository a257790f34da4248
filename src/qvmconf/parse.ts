// Parses qvm configuration sources (files and inline command-line options, in command-line order)
// into the AST of ast.ts, collecting every error with its file, line and column.

import type { QvmconfContext, QvmconfEntry, QvmconfError, QvmconfOption, QvmconfParseResult } from './ast.js';
import { parseKnobs, tokenizeQvmconf, type KnobComment, type QvmconfToken } from './tokenize.js';
import {
  BLOB_OPTIONS,
  BLOB_TYPES,
  CONTEXT_OPTIONS,
  GLOBAL_OPTIONS,
  UNLISTED_VDEV_OPTION,
  contextsOf,
  type GlobalOptionShape,
  type OptionShape,
  type QvmconfContextKind,
} from './vocabulary.js';

/** One source of configuration text; inline command-line options use the file name `<command line>`. */
export interface QvmconfSource {
  readonly text: string;
  readonly file: string;
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
  index: number;
  readonly entries: (QvmconfEntry | MutableContext)[];
  readonly errors: QvmconfError[];
  context: MutableContext | undefined;
  system: string | undefined;
  optionsSeen: number;
  memoryDefined: boolean;
  ramSeen: boolean;
}

/** The concatenated token stream of all sources is one configuration, as qvm reads its command line. */
export function parseQvmconf(sources: readonly QvmconfSource[]): QvmconfParseResult {
  const tokens: QvmconfToken[] = [];
  const knobComments: KnobComment[] = [];
  for (const source of sources) {
    const result = tokenizeQvmconf(source);
    tokens.push(...result.tokens);
    knobComments.push(...result.knobComments);
  }
  const state: ParseState = {
    tokens, index: 0, entries: [], errors: [], context: undefined,
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

function isKeyword(state: ParseState, text: string): boolean {
  if (text in GLOBAL_OPTIONS || BLOB_TYPES.has(text)) return true;
  return state.context !== undefined && text in CONTEXT_OPTIONS[state.context.option];
}

// A required argument is missing at the end of the stream, or when the next line starts with an option.
function takeArgs(state: ParseState, keyword: QvmconfToken, shape: OptionShape): string[] | undefined {
  const args: string[] = [];
  let previous = keyword;
  while (args.length < shape.maxArgs) {
    const next = state.tokens[state.index];
    const required = args.length < shape.minArgs;
    const usable = next !== undefined && (required
      ? !(next.line > previous.line && isKeyword(state, next.text))
      : next.line === previous.line && !isKeyword(state, next.text));
    if (!usable) {
      if (!required) break;
      state.errors.push({
        file: keyword.file, line: keyword.line, col: keyword.col,
        message: `missing argument for \`${keyword.text}\`: expected \`${shape.usage}\``,
      });
      return undefined;
    }
    args.push(next.text);
    previous = next;
    state.index += 1;
  }
  return args;
}

function resolveShape(state: ParseState, name: string): { shape: OptionShape | GlobalOptionShape; child: boolean } | undefined {
  const context = state.context;
  const contextShape = context === undefined ? undefined : CONTEXT_OPTIONS[context.option][name];
  if (contextShape !== undefined) return { shape: contextShape, child: true };
  const global = GLOBAL_OPTIONS[name];
  if (global !== undefined) return { shape: global, child: name === 'set' && context !== undefined };
  if (context?.option === 'vdev') return { shape: UNLISTED_VDEV_OPTION, child: true };
  return undefined;
}

function parseOption(state: ParseState): void {
  const first = state.tokens[state.index];
  if (first === undefined) return;
  state.index += 1;
  let keyword = first;
  let blobType: string | undefined;
  const following = state.tokens[state.index];
  if (BLOB_TYPES.has(first.text) && following !== undefined && BLOB_OPTIONS.has(following.text)) {
    blobType = first.text;
    keyword = following;
    state.index += 1;
  }
  const resolved = resolveShape(state, keyword.text);
  if (resolved === undefined) {
    reportUnknown(state, keyword);
    return;
  }
  const args = takeArgs(state, keyword, resolved.shape);
  checkOrder(state, first, keyword.text, resolved.shape);
  state.optionsSeen += 1;
  if (args === undefined) return;
  const position = { file: first.file, line: first.line, col: first.col };
  const option: QvmconfOption = { option: keyword.text, args, ...position, ...(blobType === undefined ? {} : { blobType }) };
  if (resolved.child && state.context !== undefined) {
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

function checkOrder(state: ParseState, at: QvmconfToken, name: string, shape: OptionShape | GlobalOptionShape): void {
  const error = (message: string): void => { state.errors.push({ file: at.file, line: at.line, col: at.col, message }); };
  if (name === 'system' && state.optionsSeen > 0) error('`system` must be the first entry of the configuration');
  if (name === 'ram' || name === 'rom') state.memoryDefined = true;
  if (name === 'ram') state.ramSeen = true;
  if ('usesGuestMemory' in shape && shape.usesGuestMemory && !state.memoryDefined) {
    error(`\`${name}\` uses guest memory: \`ram\` or \`rom\` must come before it`);
  }
}

// An unknown option: report it, then skip what look like its arguments (the rest of its line, up to
// the next known option) so one typo gives one error.
function reportUnknown(state: ParseState, keyword: QvmconfToken): void {
  const kinds = contextsOf(keyword.text);
  const message = kinds.length > 0
    ? `\`${keyword.text}\` applies to ${kinds.map((k) => `\`${k}\``).join(' or ')}, but no such context is open here`
    : `unknown option \`${keyword.text}\`${state.context === undefined ? '' : ` (in \`${state.context.option}\` context)`}`;
  state.errors.push({ file: keyword.file, line: keyword.line, col: keyword.col, message });
  state.optionsSeen += 1;
  let previous = keyword;
  for (let next = state.tokens[state.index]; next !== undefined; next = state.tokens[state.index]) {
    if (next.line !== previous.line || isKeyword(state, next.text) || contextsOf(next.text).length > 0) break;
    previous = next;
    state.index += 1;
  }
}

/** Reads the options of one context kind, e.g. every `vdev` with its type in `args[0]`. */
export function findContexts(entries: readonly QvmconfEntry[], kind: QvmconfContextKind): readonly QvmconfContext[] {
  return entries.filter((e): e is QvmconfContext => 'children' in e && e.option === kind);
}

/** The value of the last occurrence of `name` among options (the one qvm uses: last one wins). */
export function lastOption(options: readonly QvmconfOption[], name: string): QvmconfOption | undefined {
  return options.filter((o) => o.option === name).at(-1);
}
