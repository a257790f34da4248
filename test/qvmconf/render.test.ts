import { describe, expect, it } from 'vitest';
import { orderEntries, quoteArgument, renderQvmconf, renderQvmconfWithOrigins, unrenderableArgument, type RenderOption } from '../../src/qvmconf/render.js';
import { parseQvmconf } from '../../src/qvmconf/parse.js';

const vdev: RenderOption = { option: 'vdev', args: ['pl011'], children: [{ option: 'loc', args: ['0x1c090000'] }, { option: 'intr', args: ['gic:37'] }] };

describe('renderQvmconf', () => {
  it('puts system first, memory next, plain options before contexts, context options indented', () => {
    const text = renderQvmconf({
      entries: [vdev, { option: 'load', args: ['/x'] }, { option: 'ram', args: ['128M'] }, { option: 'system', args: ['demo'] }, { option: 'set', args: ['a', 'b'] }],
      simKnobs: { 'boot-ms': '300', 'ignore-power-button': true },
    });
    expect(text).toBe([
      '# qvm-sim: boot-ms=300 ignore-power-button',
      'system demo',
      'ram 128M',
      'load /x',
      'set a b',
      'vdev pl011',
      '    loc 0x1c090000',
      '    intr gic:37',
      '',
    ].join('\n'));
    expect(parseQvmconf([{ text, file: 't' }]).ok).toBe(true);
  });

  it('writes the blob type before load', () => {
    expect(renderQvmconf({ entries: [{ option: 'load', blobType: 'initrd', args: ['/i'] }] })).toBe('initrd load /i\n');
  });

  it('tells which option each line came from', () => {
    const system: RenderOption = { option: 'system', args: ['x'] };
    const { origins } = renderQvmconfWithOrigins({ entries: [vdev, system], comments: ['hello'] });
    expect(origins).toEqual([undefined, system, vdev, vdev.children?.[0], vdev.children?.[1]]);
  });

  it('keeps order within a group', () => {
    const a = { option: 'ram', args: ['1M'] };
    const b = { option: 'rom', args: ['0,1M'] };
    expect(orderEntries([b, a])).toEqual([b, a]);
  });

  it('writes an argument with spaces in double quotes, and the parser reads it back as one argument', () => {
    const cmdline: RenderOption = { option: 'cmdline', args: ['console=ttyAMA0 earlycon=pl011,0x1c090000 loglevel=9'] };
    const text = renderQvmconf({ entries: [{ option: 'system', args: ['l'] }, { option: 'ram', args: ['64M'] }, cmdline] });
    expect(text).toBe('system l\nram 64M\ncmdline "console=ttyAMA0 earlycon=pl011,0x1c090000 loglevel=9"\n');
    const parsed = parseQvmconf([{ text, file: 't' }]);
    expect(parsed.ok && parsed.document.entries[2]?.args).toEqual(cmdline.args);
  });

  it('quotes only what needs it, and says which arguments cannot be written at all', () => {
    expect(['a', 'a#b', '', 'a b', '#x', '|gzip >x'].map(quoteArgument)).toEqual(['a', 'a#b', '""', '"a b"', '"#x"', '"|gzip >x"']);
    expect(unrenderableArgument('say "hi"')).toContain('double quote');
    expect(unrenderableArgument('a\nb')).toContain('line break');
    expect(unrenderableArgument('console=hvc0 quiet')).toBeUndefined();
  });
});
