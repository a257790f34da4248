// The rules and examples of the QNX VM configuration reference (docs/qvmconf.md), one behaviour
// each: which context an option belongs to, what ends a context, quoted arguments, `set` variables.
import { describe, expect, it } from 'vitest';
import { isContext, type QvmconfEntry, type QvmconfParseResult } from '../../src/qvmconf/ast.js';
import { findContexts, parseQvmconf } from '../../src/qvmconf/parse.js';

function parseOne(text: string, file = 'g.qvmconf'): QvmconfParseResult {
  return parseQvmconf([{ text, file }]);
}

function errorsOf(result: QvmconfParseResult): string[] {
  return result.ok ? [] : result.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
}

function entriesOf(text: string): readonly QvmconfEntry[] {
  const result = parseOne(text);
  if (!result.ok) throw new Error(errorsOf(result).join('\n'));
  return result.document.entries;
}

/** Each entry as `option args` and its children indented: the shape qvm would assemble. */
function outline(entries: readonly QvmconfEntry[]): string[] {
  return entries.flatMap((e) => [
    [e.blobType, e.option, ...e.args].filter((w) => w !== undefined).join(' '),
    ...(isContext(e) ? e.children.map((c) => `  ${[c.option, ...c.args].join(' ')}`) : []),
  ]);
}

describe('contexts', () => {
  it('a global option inside a context neither ends it nor joins it: `cpu sched 8 ram 32m` is `cpu ram 32m sched 8`', () => {
    expect(outline(entriesOf('cpu sched 8 ram 32m\ncpu sched 6'))).toEqual(['cpu', '  sched 8', 'ram 32m', 'cpu', '  sched 6']);
    expect(outline(entriesOf('cpu ram 32m sched 8'))).toEqual(['cpu', '  sched 8', 'ram 32m']);
  });

  it('every context-opening option ends the context before it', () => {
    const text = 'ram 64M\ncpu runmask 0\nvdev pl011 loc 0x1c090000\npass loc mem:0x2000,0x1000,rw=0x1000 intr gic:40\nreserve intr 39\ncpu cluster big';
    expect(outline(entriesOf(text))).toEqual([
      'ram 64M', 'cpu', '  runmask 0', 'vdev pl011', '  loc 0x1c090000', 'pass', '  loc mem:0x2000,0x1000,rw=0x1000', '  intr gic:40',
      'reserve', '  intr 39', 'cpu', '  cluster big',
    ]);
  });

  it('accepts the reserve examples of the reference', () => {
    const reserves = findContexts(entriesOf('ram 64M\nreserve intr 39\nreserve loc pci:0:1\nreserve loc 0x1000,0x8'), 'reserve');
    expect(reserves.map((r) => r.children.map((c) => `${c.option} ${c.args.join(' ')}`))).toEqual([['intr 39'], ['loc pci:0:1'], ['loc 0x1000,0x8']]);
  });

  it('a vdev takes its documented options with their argument counts, and options no reference lists', () => {
    const text = 'ram 64M\nvdev hpet loc 0xfed00000 legacy-free intrmap myioapic:2 frequency 1000\nvdev virtio-blk legacy hostdev </dev/hd0\nvdev custom flag other value';
    expect(outline(entriesOf(text))).toEqual([
      'ram 64M', 'vdev hpet', '  loc 0xfed00000', '  legacy-free', '  intrmap myioapic:2', '  frequency 1000',
      'vdev virtio-blk', '  legacy', '  hostdev </dev/hd0', 'vdev custom', '  flag other', '  value',
    ]);
    expect(outline(entriesOf('ram 64M\nvdev custom\n  flag\n  other value'))).toEqual(['ram 64M', 'vdev custom', '  flag', '  other value']);
  });
});

describe('error hints name the real context', () => {
  it('an option of another kind of context, with the context that is open', () => {
    expect(errorsOf(parseOne('ram 64M\ncpu\n  loc 0x1000\nvdev pl011\n  sched 10\n  runmask 1'))).toEqual([
      'g.qvmconf:3:3: `loc` applies to a `vdev`, `pass` or `reserve` context, but the open context is `cpu` (line 2)',
      'g.qvmconf:5:3: `sched` applies to a `cpu` context, but the open context is `vdev pl011` (line 4)',
      'g.qvmconf:6:3: `runmask` applies to a `cpu` context, but the open context is `vdev pl011` (line 4)',
    ]);
  });

  it('an unknown option in a strict context lists what that context takes', () => {
    expect(errorsOf(parseOne('ram 64M\npass\n  loc mem:0x1000,0x1000,rw=0x1000\n  frobnicate /dev/x'))).toEqual([
      'g.qvmconf:4:3: unknown option `frobnicate` in the `pass` context opened at line 2: a `pass` takes `loc` or `intr` (global options may appear anywhere)',
    ]);
  });

  it('a context opened in another source is named by file and line', () => {
    const result = parseQvmconf([{ text: 'ram 64M\ncpu', file: 'a.qvmconf' }, { text: 'loc 0x1000', file: '<command line>' }]);
    expect(errorsOf(result)).toEqual(['<command line>:1:1: `loc` applies to a `vdev`, `pass` or `reserve` context, but the open context is `cpu` (a.qvmconf:2)']);
  });

  it('a blob type that does not stand before load or pass', () => {
    expect(errorsOf(parseOne('ram 64M\ninitrd /boot/x.img'))).toEqual(['g.qvmconf:2:1: `initrd` is a blob type: it must stand right before `load` or `pass`']);
  });
});

describe('cmdline and quoted arguments', () => {
  it('cmdline is a global option, also after a cpu (it was once refused there)', () => {
    const entries = entriesOf('system linux\nram 0x80000000,512M\ncpu cluster big\ncmdline console=hvc0\ncpu');
    expect(outline(entries)).toEqual(['system linux', 'ram 0x80000000,512M', 'cpu', '  cluster big', 'cmdline console=hvc0', 'cpu']);
  });

  it('reads the reference example: one quoted argument, continued on the next line after a backslash', () => {
    const text = 'ram 64M\ncmdline "console=ttyAMA0 earlycon=pl011,0x1c090000 \\\ndebug user_debug=31 loglevel=9"\ncpu';
    const result = parseOne(text);
    if (!result.ok) throw new Error(errorsOf(result).join('\n'));
    expect(result.document.entries[1]).toMatchObject({ option: 'cmdline', args: ['console=ttyAMA0 earlycon=pl011,0x1c090000 debug user_debug=31 loglevel=9'], line: 2, col: 1 });
    expect(result.document.entries[2]).toMatchObject({ option: 'cpu', line: 4 });
  });

  it('a quoted argument may hold # and option names; dump to a command as in the reference', () => {
    const entries = entriesOf('ram 64M\ndump "|gzip >dump_output.gz"\ncmdline "root=/dev/vda # not a comment ram cpu"');
    expect(entries.slice(1).map((e) => e.args)).toEqual([['|gzip >dump_output.gz'], ['root=/dev/vda # not a comment ram cpu']]);
  });

  it('an unclosed quote is an error at the quote, and the rest of the file is still read', () => {
    expect(errorsOf(parseOne('ram 64M\ncmdline "console=ttyAMA0\nbogus'))).toEqual([
      'g.qvmconf:2:9: unterminated quoted argument: the `"` opened here is not closed on its line (continue a quoted argument on the next line with `\\` at the end of the line)',
      'g.qvmconf:3:1: unknown option `bogus`',
    ]);
  });

  it('a quoted word is never an option', () => {
    expect(errorsOf(parseOne('ram 64M\n"cpu"'))).toEqual(['g.qvmconf:2:1: a quoted argument (`"cpu"`) where an option was expected']);
  });
});

describe('set applies to the implicit context of its variable', () => {
  it('a global variable after a cpu or vdev belongs to the VM, not to that context', () => {
    const entries = entriesOf('ram 64M\ncpu sched 10\nset counter-offset 0\nvdev pl011 loc 0x1c090000\nset fdt-dump-file /tmp/x.dtb');
    expect(outline(entries)).toEqual(['ram 64M', 'cpu', '  sched 10', 'set counter-offset 0', 'vdev pl011', '  loc 0x1c090000', 'set fdt-dump-file /tmp/x.dtb']);
  });

  it('a vdev variable, or one no reference lists, set while a vdev is configured belongs to that vdev', () => {
    const entries = entriesOf('ram 64M\nvdev virtio-blk hostdev /dev/hd0\n  set debug off\n  set vdev-message-block-timeout 200\n  set my-variable 7');
    expect(outline(entries)).toEqual(['ram 64M', 'vdev virtio-blk', '  hostdev /dev/hd0', '  set debug off', '  set vdev-message-block-timeout 200', '  set my-variable 7']);
  });

  it('a vdev variable with no vdev open is an error naming the open context', () => {
    expect(errorsOf(parseOne('ram 64M\nset debug off\ncpu\nset vdev-message-block-timeout 5'))).toEqual([
      'g.qvmconf:2:1: `set debug` applies to the `vdev` being configured, but no context is open here',
      'g.qvmconf:4:1: `set vdev-message-block-timeout` applies to the `vdev` being configured, but the open context is `cpu` (line 3)',
    ]);
  });
});

describe('documented values', () => {
  it('unsupported, safety and logger take only the values the reference lists', () => {
    expect(errorsOf(parseOne('ram 64M\nunsupported register abort\nunsupported reference fail\nsafety required\nlogger error,fatal none'))).toEqual([]);
    expect(errorsOf(parseOne('ram 64M\nunsupported registers abort\nunsupported instruction panic\nsafety maybe\nlogger error stdlog'))).toEqual([
      'g.qvmconf:2:1: `unsupported`: `registers` is not one of `instruction`, `reference`, `register` (expected `unsupported instruction|reference|register abort|fail|ignore`)',
      'g.qvmconf:3:1: `unsupported`: `panic` is not one of `abort`, `fail`, `ignore` (expected `unsupported instruction|reference|register abort|fail|ignore`)',
      'g.qvmconf:4:1: `safety`: `maybe` is not one of `none`, `warn`, `required` (expected `safety none|warn|required`)',
      'g.qvmconf:5:1: `logger`: `stdlog` is not one of `stdout`, `stderr`, `slog`, `none` (expected `logger filter[,filter...] stdout|stderr|slog|none`)',
    ]);
  });
});
