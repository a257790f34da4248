// A document keeps where its nodes are, not its YAML tree: every position a diagnostic names is
// the one the tree gives.
import { describe, expect, it } from 'vitest';
import { parseYamlFile } from '../../src/manifest/source-document.js';

const parse = (text: string) => {
  const [doc] = parseYamlFile({ file: 'm.yaml', bytes: Buffer.from(text) }).documents;
  if (doc === undefined) throw new Error('no document');
  return doc;
};

describe('positions of a parsed manifest', () => {
  const doc = parse('kind: Guest\nspec:\n  qvm:\n    vdevs:\n      - type: pl011\n        options: [{ loc: "0x1" }]\n    config: |\n      system a\n        cpu\n  empty:\n');

  it('locate a value, a key, a list item and an empty value', () => {
    expect(doc.locate(['spec', 'qvm', 'vdevs', 0, 'type'])).toEqual({ line: 5, col: 15 });
    expect(doc.locate(['spec', 'qvm', 'vdevs'], 'key')).toEqual({ line: 4, col: 5 });
    expect(doc.locate(['spec', 'qvm', 'vdevs', 0, 'options', 0, 'loc'])).toEqual({ line: 6, col: 26 });
    expect(doc.locate(['spec', 'empty'])).toEqual({ line: 10, col: 9 });
  });

  it('fall back to the deepest node that exists', () => {
    expect(doc.locate(['spec', 'qvm', 'nothing', 'deeper'])).toEqual(doc.locate(['spec', 'qvm']));
    expect(doc.locate([])).toEqual({ line: 1, col: 1 });
  });

  it('locate a line inside a block scalar', () => {
    expect(doc.locateInText(['spec', 'qvm', 'config'], 2, 3)).toEqual({ line: 9, col: 9 });
  });

  it('keep the tree for a key the index cannot hold, with the same answers', () => {
    const odd = parse('spec:\n  labels:\n    "a\\u0001b": x\n  qvm:\n    cpus: 2\n');
    expect(odd.locate(['spec', 'qvm', 'cpus'])).toEqual({ line: 5, col: 11 });
    expect(odd.locate(['spec', 'labels', 'a\u0001b'], 'key')).toEqual({ line: 3, col: 5 });
  });

  it('locate a path through an alias at the alias', () => {
    const aliased = parse('base: &b\n  cpus: 2\nspec:\n  qvm: *b\n');
    expect(aliased.locate(['spec', 'qvm', 'cpus'])).toEqual({ line: 4, col: 8 });
  });
});
