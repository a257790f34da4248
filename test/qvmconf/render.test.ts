import { describe, expect, it } from 'vitest';
import { orderEntries, renderQvmconf, renderQvmconfWithOrigins, type RenderOption } from '../../src/qvmconf/render.js';
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
});
