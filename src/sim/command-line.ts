// The qvm command line: `@file` arguments and inline options, in order, as qvmconf sources.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { COMMAND_LINE_FILE, type QvmconfSource } from '../qvmconf/parse.js';

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

export interface QvmCommandLine {
  readonly sources: readonly QvmconfSource[];
  /** Name used when the configuration has no `system`: the first file's base name. */
  readonly fallbackName: string;
}

/** Reads every `@file`; consecutive inline arguments form one `<command line>` source. */
export function readQvmCommandLine(args: readonly string[]): QvmCommandLine {
  const sources: QvmconfSource[] = [];
  let inline: string[] = [];
  let fallbackName: string | undefined;
  const flushInline = (): void => {
    if (inline.length > 0) sources.push({ text: inline.join(' '), file: COMMAND_LINE_FILE });
    inline = [];
  };
  for (const arg of args) {
    if (!arg.startsWith('@')) {
      inline.push(arg);
      continue;
    }
    flushInline();
    const file = arg.slice(1);
    try {
      sources.push({ text: readFileSync(file, 'utf8'), file });
    } catch (error) {
      throw new ConfigFileError(`cannot read configuration file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    fallbackName ??= basename(file).replace(/\.qvmconf$/, '');
  }
  flushInline();
  return { sources, fallbackName: fallbackName ?? 'guest' };
}
