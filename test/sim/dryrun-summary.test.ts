// The simulator reads the whole qvmconf vocabulary (docs/qvmconf.md) and its dryrun summary shows
// each option where it belongs: VM options first, then each context with its own options.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimDir, type SimDir } from '../helpers/sim-guest.js';

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('sim-summary'); });
afterEach(async () => { await sim.cleanup(); });

const LINUX = `system linux
ram 0x80000000,512M
cpu sched 10
    runmask 0
set counter-offset 0
cmdline "console=ttyAMA0 earlycon=pl011,0x1c090000 \\
debug user_debug=31 loglevel=9"
cpu
    cluster big
vdev hpet
    loc 0xfed00000
    intrmap myioapic:2
    legacy-free
    set debug off
unsupported register abort
reserve intr 39
tolerance 50
dump "|gzip >dump_output.gz"
`;

describe('qvm-sim dryrun summary', () => {
  it('accepts cmdline and the other reference options, and shows each with the context it belongs to', async () => {
    const result = await sim.run([`@${sim.writeConf('linux', LINUX)}`, 'dryrun']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'system linux',
      'ram 0x80000000,512M',
      'set counter-offset 0',
      'cmdline "console=ttyAMA0 earlycon=pl011,0x1c090000 debug user_debug=31 loglevel=9"',
      'unsupported register abort',
      'tolerance 50',
      'dump "|gzip >dump_output.gz"',
      'cpu: sched 10, runmask 0',
      'cpu: cluster big',
      'vdev hpet: loc 0xfed00000, intrmap myioapic:2, legacy-free, set debug off',
      'reserve: intr 39',
      'Exiting: dryrun completed',
    ]);
  });

  it('refuses a vdev variable set outside a vdev with exit 65, naming the open context', async () => {
    const conf = sim.writeConf('bad', 'system bad\nram 64M\ncpu\nset debug off\n');
    const result = await sim.run([`@${conf}`, 'dryrun']);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(`${conf}:4:1: error: \`set debug\` applies to the \`vdev\` being configured, but the open context is \`cpu\` (line 3)`);
  });
});
