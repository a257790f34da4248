import { describe, expect, it } from 'vitest';
import { isContext, type QvmconfParseResult } from '../../src/qvmconf/ast.js';
import { COMMAND_LINE_FILE, findContexts, lastOption, parseQvmconf } from '../../src/qvmconf/parse.js';

const MINIMAL_ARM = `system zephyr
cpu
ram 0x80000000,128M
vdev gic version 2
load ./zephyr.elf
vdev pl011
    hostdev >-
    loc 0x1c090000
    intr gic:37
`;

function parseOne(text: string, file = 'guest.qvmconf'): QvmconfParseResult {
  return parseQvmconf([{ text, file }]);
}

function errorsOf(result: QvmconfParseResult): string[] {
  return result.ok ? [] : result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
}

describe('parseQvmconf', () => {
  it('parses the minimal ARM example into contexts with positions', () => {
    const result = parseOne(MINIMAL_ARM);
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    const { document } = result;
    expect(document.system).toBe('zephyr');
    expect(document.entries.map((e) => e.option)).toEqual(['system', 'cpu', 'ram', 'vdev', 'load', 'vdev']);
    const vdevs = findContexts(document.entries, 'vdev');
    expect(vdevs.map((v) => v.args[0])).toEqual(['gic', 'pl011']);
    expect(vdevs[0]?.children).toMatchObject([{ option: 'version', args: ['2'] }]);
    expect(vdevs[1]?.children).toMatchObject([
      { option: 'hostdev', args: ['>-'], line: 7, col: 5 },
      { option: 'loc', args: ['0x1c090000'], line: 8 },
      { option: 'intr', args: ['gic:37'], line: 9 },
    ]);
    expect(document.entries[2]).toMatchObject({ option: 'ram', args: ['0x80000000,128M'], file: 'guest.qvmconf', line: 3, col: 1 });
  });

  it('treats line breaks as whitespace and # as a comment to the end of the line', () => {
    const result = parseOne('system a # the name\nram\n  64M cpu sched 10r runmask 0,1 # pinned\n cpu cluster big');
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    const cpus = findContexts(result.document.entries, 'cpu');
    expect(cpus.map((c) => c.children.map((o) => `${o.option} ${o.args.join(' ')}`))).toEqual([
      ['sched 10r', 'runmask 0,1'],
      ['cluster big'],
    ]);
  });

  it('keeps repeated options in order; the last one is the one that counts', () => {
    const result = parseOne('ram 64M\nvdev wdt-sp805 loc 0x1 loc 0x2 intr gic:1 action terminate');
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    const wdt = findContexts(result.document.entries, 'vdev')[0];
    expect(wdt?.children.filter((o) => o.option === 'loc')).toHaveLength(2);
    expect(lastOption(wdt?.children ?? [], 'loc')?.args).toEqual(['0x2']);
  });

  it('accepts the global vocabulary, blob types, pass/reserve contexts and unlisted vdev options', () => {
    const text = [
      'system big', 'ram 1G', 'rom 0xffff0000,64K', 'cpu partition drivers sched 12f', 'cpu runmask 2',
      'initrd load 0x90000000,/boot/initrd.img', 'fdt load /boot/guest.dtb', 'load /boot/kernel',
      'pass loc mem:0x2000,0x1000,rw=0x1000 intr gic:40', 'reserve loc 0x1000,0x8 intr 39',
      'logger error,fatal stderr', 'dump /var/dump', 'set fdt-dump-file /tmp/x.dtb', 'debug', 'gdb paused 1234',
      'unsupported register abort', 'tolerance 10', 'suppress gdb', 'generate fdt', 'user 100:100', 'safety warn',
      'cmdline "console=ttyAMA0 loglevel=9"',
      'vdev virtio-blk hostdev </dev/hd0 legacy delayed 5 name disk0 set debug off',
      'vdev virtio-net peer /dev/vdevpeer/net0 mac 00:11:22:33:44:55 log warning,error slog',
      'vdev shmem sig 0x1c name shm0', 'vdev hpet legacy-free intrmap myioapic:2 frequency 100', 'dryrun',
    ].join('\n');
    const result = parseOne(text);
    expect(errorsOf(result)).toEqual([]);
    if (!result.ok) return;
    const entries = result.document.entries;
    expect(entries.find((e) => e.option === 'load' && e.blobType === 'initrd')?.args).toEqual(['0x90000000,/boot/initrd.img']);
    const pass = findContexts(entries, 'pass')[0];
    expect(pass?.children.map((o) => o.option)).toEqual(['loc', 'intr']);
    expect(entries.find((e) => e.option === 'gdb')?.args).toEqual(['paused', '1234']);
    expect(entries.find((e) => e.option === 'debug')?.args).toEqual([]);
    const blk = findContexts(entries, 'vdev')[0];
    expect(blk?.children.map((o) => o.option)).toEqual(['hostdev', 'legacy', 'delayed', 'name', 'set']);
    expect(entries.filter(isContext).map((c) => c.option)).toEqual(['cpu', 'cpu', 'pass', 'reserve', 'vdev', 'vdev', 'vdev', 'vdev']);
    expect(findContexts(entries, 'vdev')[3]?.children.map((o) => `${o.option} ${o.args.join(' ')}`.trim())).toEqual(['legacy-free', 'intrmap myioapic:2', 'frequency 100']);
    expect(entries.find((e) => e.option === 'cmdline')?.args).toEqual(['console=ttyAMA0 loglevel=9']);
  });

  it('splices several sources, inline options last, into one token stream', () => {
    const result = parseQvmconf([
      { text: 'system a\nram 64M\nvdev pl011', file: 'a.qvmconf' },
      { text: 'loc 0x1c090000 set fdt-dump-file /tmp/x dryrun', file: COMMAND_LINE_FILE },
    ]);
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    const pl011 = findContexts(result.document.entries, 'vdev')[0];
    expect(pl011?.children[0]).toMatchObject({ option: 'loc', file: COMMAND_LINE_FILE, line: 1, col: 1 });
    expect(result.document.entries.at(-1)?.option).toBe('dryrun');
  });

  it('reads simulator knobs from # qvm-sim: comments', () => {
    const result = parseOne('# qvm-sim: boot-ms=300 shutdown-ms=800\nram 64M # qvm-sim: ignore-power-button boot-ms=5');
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    expect(result.document.simKnobs).toEqual({ 'boot-ms': '5', 'shutdown-ms': '800', 'ignore-power-button': true });
    expect(result.document.entries).toHaveLength(1);
  });

  describe('errors name file, line and column and are all collected', () => {
    it('unknown global option, and continues after it', () => {
      expect(errorsOf(parseOne('ram 64M\nramm 128M\nbogus\ncpu frobnicate 3'))).toEqual([
        'guest.qvmconf:2:1: unknown option `ramm`',
        'guest.qvmconf:3:1: unknown option `bogus`',
        'guest.qvmconf:4:5: unknown option `frobnicate` in the `cpu` context opened at line 4: a `cpu` takes `partition`, `runmask`, `sched` or `cluster` (global options may appear anywhere)',
      ]);
    });

    it('missing argument', () => {
      expect(errorsOf(parseOne('system\ncpu\nram 64M\nvdev pl011 loc'))).toEqual([
        'guest.qvmconf:1:1: missing argument for `system`: expected `system name`',
        'guest.qvmconf:4:12: missing argument for `loc`: expected `loc location_spec`',
      ]);
    });

    it('system not first', () => {
      expect(errorsOf(parseOne('ram 64M\n  system late'))).toEqual([
        'guest.qvmconf:2:3: `system` must be the first entry of the configuration',
      ]);
    });

    it('no ram', () => {
      expect(errorsOf(parseOne('system a\ncpu'))).toEqual([
        'guest.qvmconf:1:1: no `ram` option: a VM needs guest memory (`ram [addr,]size`)',
      ]);
    });

    it('guest memory used before ram/rom', () => {
      expect(errorsOf(parseOne('load ./k.elf\ninitrd load ./i.img\nram 64M\nload ./ok'))).toEqual([
        'guest.qvmconf:1:1: `load` uses guest memory: `ram` or `rom` must come before it',
        'guest.qvmconf:2:1: `load` uses guest memory: `ram` or `rom` must come before it',
      ]);
    });

    it('a context option with no open context', () => {
      expect(errorsOf(parseOne('ram 64M\nloc 0x1000\nsched 10\nintr gic:3'))).toEqual([
        'guest.qvmconf:2:1: `loc` applies to a `vdev`, `pass` or `reserve` context, but no context is open here',
        'guest.qvmconf:3:1: `sched` applies to a `cpu` context, but no context is open here',
        'guest.qvmconf:4:1: `intr` applies to a `vdev`, `pass` or `reserve` context, but no context is open here',
      ]);
    });

    it('errors from several files keep their own file names', () => {
      const result = parseQvmconf([
        { text: 'ram 64M', file: 'a.qvmconf' },
        { text: 'bogus 1', file: COMMAND_LINE_FILE },
      ]);
      expect(errorsOf(result)).toEqual(['<command line>:1:1: unknown option `bogus`']);
    });
  });
});
