// What a configuration takes from the host, as the cross-guest checks see it: the host side of each
// `pass loc` in every form the pass reference gives, `/dev` hostdevs, and runmasks.
import { describe, expect, it } from 'vitest';
import { parseQvmconf } from '../../src/qvmconf/parse.js';
import { extractQvmFacts, hostLocation } from '../../src/manifest/qvm-facts.js';

describe('hostLocation', () => {
  it.each([
    ['mem:0x1c0a0000,0x1000,rw=0x1c0a0000', 'mem:0x1c0a0000'],
    ['mem:0x2000,r=0x1000', 'mem:0x1000'],
    ['0x2000,0x1000,rw=0x1000', 'mem:0x1000'],
    ['mem:0x2000,0x1000', 'mem:0x2000'],
    ['io:4', 'io:4'],
    ['pci:0:12.0=pci:0x8086/0x1234', 'pci:0x8086/0x1234'],
    ['pci:0x8086/0x1234', 'pci:0x8086/0x1234'],
  ])('%s → %s', (loc, host) => {
    expect(hostLocation(loc)).toBe(host);
  });
});

describe('extractQvmFacts', () => {
  it('reads pass locations, host devices and runmasks from their own contexts only', () => {
    const text = 'ram 64M\ncpu runmask 2\npass loc pci:0:12.0=pci:0x8086/0x1234 intr gic:40\nreserve loc 0x1000,0x8\nvdev virtio-blk hostdev /dev/hd0\nvdev virtio-console hostdev /dev/qvm/other/console';
    const parsed = parseQvmconf([{ text, file: 'g.qvmconf' }]);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    expect(extractQvmFacts(parsed.document.entries)).toEqual({ passthrough: ['pci:0x8086/0x1234', '/dev/hd0'], pins: [[2]], vdevTypes: ['virtio-blk', 'virtio-console'] });
  });
});
