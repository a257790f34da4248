// Fuzzing the .qvmconf parser: whatever the text (random bytes, random tokens from qvm's vocabulary),
// it never throws, and every error it reports points at a line that exists in the text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQvmconf } from '../../src/qvmconf/parse.js';

const NUM_RUNS = 1000;
const WORDS = ['system', 'ram', 'rom', 'cpu', 'vdev', 'pass', 'load', 'initrd', 'set', 'loc', 'intr', 'sched', 'runmask', 'cluster', 'logger', 'dump', 'dryrun', 'hostdev', 'gic', 'pl011', '0x80000000,64M', '128M', '#', '# qvm-sim: boot-ms=x', '\n', ' ', '\t', '>-', 'a,b', '@', '..', '/', '"', '"a b', 'c"', '\\', 'cmdline', 'reserve', 'unsupported', 'legacy-free'];

function check(text: string): void {
  const result = parseQvmconf([{ text, file: 'fuzz.qvmconf' }]);
  if (result.ok) return;
  const lines = text.split('\n').length;
  for (const error of result.errors) {
    expect(error.file).toBe('fuzz.qvmconf');
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.line).toBeLessThanOrEqual(lines);
  }
}

describe('parseQvmconf never throws', () => {
  it(`on random text (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: NUM_RUNS });
  });

  it(`on random bytes decoded as UTF-8 (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => { check(Buffer.from(bytes).toString('utf8')); }), { numRuns: NUM_RUNS });
  });

  it(`on random sequences of qvm words (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 60 }), (words) => { check(words.join(' ')); }), { numRuns: NUM_RUNS });
  });
});
