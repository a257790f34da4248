// What the renderer writes, the parser reads back unchanged: manifests rendered to .qvmconf are
// accepted by the simulator (and by qvm) as they were meant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isContext, type QvmconfEntry } from '../../src/qvmconf/ast.js';
import { parseQvmconf } from '../../src/qvmconf/parse.js';
import { renderQvmconf, type RenderOption } from '../../src/qvmconf/render.js';
import { SET_VARIABLES } from '../../src/qvmconf/vocabulary.js';

const word = fc.stringMatching(/^[a-z0-9][a-z0-9:,./_-]{0,11}$/).filter((w) => !['cpu', 'vdev', 'pass', 'reserve', 'system', 'ram', 'rom', 'load', 'set', 'loc', 'intr', 'sched', 'runmask', 'cluster', 'partition', 'initrd', 'fdt', 'acpi', 'data', 'debug', 'gdb', 'dryrun', 'legacy'].includes(w) && !w.startsWith('#'));

const vdev = fc.record({
  option: fc.constant('vdev'),
  args: fc.tuple(fc.constantFrom('pl011', 'virtio-blk', 'virtio-net', 'shmem', 'wdt-sp805')).map((t) => [...t]),
  children: fc.array(fc.oneof(
    fc.record({ option: fc.constantFrom('loc', 'intr', 'hostdev', 'name', 'peer'), args: fc.tuple(word).map((t) => [...t]) }),
    fc.record({ option: fc.constant('set'), args: fc.tuple(word.filter((w) => !(w in SET_VARIABLES)), word).map((t) => [...t]) }),
    fc.record({ option: fc.constant('legacy'), args: fc.constant([]) }),
  ), { maxLength: 4 }),
});
const cpu = fc.record({
  option: fc.constant('cpu'),
  args: fc.constant([]),
  children: fc.array(fc.record({ option: fc.constantFrom('sched', 'runmask', 'cluster'), args: fc.tuple(word).map((t) => [...t]) }), { maxLength: 2 }),
});
const reserve = fc.record({
  option: fc.constant('reserve'),
  args: fc.constant([]),
  children: fc.array(fc.record({ option: fc.constantFrom('loc', 'intr'), args: fc.tuple(word).map((t) => [...t]) }), { maxLength: 2 }),
});
// Text with spaces and option names in it, as a guest command line has: written in double quotes.
const commandLine = fc.array(fc.oneof(word, fc.constantFrom('cpu', 'ram', '#', 'debug')), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
const globalOption = fc.oneof(
  fc.record({ option: fc.constant('cmdline'), args: fc.tuple(commandLine).map((t) => [...t]) }),
  fc.record({ option: fc.constant('load'), args: fc.tuple(word).map((t) => [...t]) }),
  fc.record({ option: fc.constant('load'), args: fc.tuple(word).map((t) => [...t]), blobType: fc.constant('initrd') }),
  fc.record({ option: fc.constant('logger'), args: fc.tuple(word, fc.constantFrom('stdout', 'stderr', 'slog', 'none')).map((t) => [...t]) }),
  fc.record({ option: fc.constant('unsupported'), args: fc.constant(['register', 'abort']) }),
);

function shape(entries: readonly QvmconfEntry[]): unknown[] {
  return entries.map((e) => ({
    option: e.option, args: e.args, blobType: e.blobType,
    children: isContext(e) ? e.children.map((c) => ({ option: c.option, args: c.args })) : undefined,
  }));
}

describe('render → parse', () => {
  it('reads back every rendered configuration as the same entries', () => {
    fc.assert(fc.property(fc.array(fc.oneof(vdev, cpu, reserve, globalOption), { maxLength: 8 }), (rest) => {
      const entries: RenderOption[] = [{ option: 'system', args: ['g1'] }, { option: 'ram', args: ['0x80000000,64M'] }, ...rest];
      const text = renderQvmconf({ entries, simKnobs: { 'boot-ms': '20', 'ignore-power-button': true } });
      const parsed = parseQvmconf([{ text, file: 'g1.qvmconf' }]);
      if (!parsed.ok) throw new Error(`${text}\n${parsed.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n')}`);
      const rendered = [...entries.filter((e) => e.children === undefined), ...entries.filter((e) => e.children !== undefined)];
      expect(shape(parsed.document.entries)).toEqual(shape(rendered as QvmconfEntry[]));
      expect(parsed.document.simKnobs).toEqual({ 'boot-ms': '20', 'ignore-power-button': true });
    }), { numRuns: 200 });
  });
});
