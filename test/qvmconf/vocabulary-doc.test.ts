// docs/qvmconf.md and src/qvmconf/vocabulary.ts are one table in two places: every option with its
// context and argument count, and every `set` variable with its implicit context, in both and alike.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTEXT_OPTIONS, GLOBAL_OPTIONS, SET_VARIABLES, VDEV_OPTIONS, type OptionShape } from '../../src/qvmconf/vocabulary.js';

const DOC = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'qvmconf.md'), 'utf8');

/** The table rows (cells, trimmed) of the section under `heading`. */
function tableOf(heading: string): string[][] {
  const section = DOC.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
  return section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
}

const name = (cell: string): string => /^`([^`]+)`/.exec(cell)?.[1] ?? cell;

function describeShape(shape: OptionShape): string {
  return shape.minArgs === shape.maxArgs ? String(shape.minArgs) : `${shape.minArgs}–${shape.maxArgs}`;
}

describe('docs/qvmconf.md', () => {
  it('lists every option of the vocabulary with its context, what it opens and its argument count, and nothing else', () => {
    const fromCode = new Map<string, string>();
    for (const [option, shape] of Object.entries(GLOBAL_OPTIONS)) {
      fromCode.set(option, `global${shape.opens === undefined ? '' : ` opens ${shape.opens}`} ${describeShape(shape)}`);
    }
    const contexts = new Map<string, { kinds: string[]; shape: OptionShape }>();
    for (const [kind, options] of Object.entries(CONTEXT_OPTIONS)) {
      for (const [option, shape] of Object.entries(options)) {
        const entry = contexts.get(option) ?? { kinds: [], shape };
        entry.kinds.push(kind);
        contexts.set(option, entry);
      }
    }
    for (const [option, shape] of Object.entries(VDEV_OPTIONS)) contexts.set(option, { kinds: ['vdev'], shape });
    for (const [option, { kinds, shape }] of contexts) fromCode.set(option, `${kinds.join(',')} ${describeShape(shape)}`);

    const fromDoc = new Map(tableOf('Every option').map(([option = '', context = '', args = '']) => {
      const opens = /opens `(\w+)`/.exec(context)?.[1];
      const where = context.startsWith('global')
        ? `global${opens === undefined ? '' : ` opens ${opens}`}`
        : [...(context.split('(')[0] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]).join(',');
      return [name(option), `${where} ${args}`];
    }));
    expect(Object.fromEntries(fromDoc)).toEqual(Object.fromEntries(fromCode));
  });

  it('lists every set variable with its implicit context', () => {
    const fromDoc = Object.fromEntries(tableOf('`set` variables').map(([variable = '', context = '']) => [name(variable), context]));
    expect(fromDoc).toEqual(SET_VARIABLES);
  });

  it('gives a source for every row: a reference page, or says it is not confirmed', () => {
    const sources = new Set([...DOC.matchAll(/^- \[([\w-]+)\] https?:\/\//gm)].map((m) => m[1]));
    for (const row of [...tableOf('Every option'), ...tableOf('`set` variables')]) {
      const cell = row.at(-1) ?? '';
      const cited = [...cell.matchAll(/\[([^\]]+)\]/g)].flatMap((m) => (m[1] ?? '').split(/,\s*/));
      expect(cited.length > 0 || cell === 'not confirmed', `${row[0]}: ${cell}`).toBe(true);
      for (const key of cited) expect(sources.has(key), `${row[0]} cites unknown source ${key}`).toBe(true);
    }
  });
});
