// The simulator's command line: dryrun, configuration errors (exit 65 with file:line), help, flags.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIM_NODE_FLAGS } from '../../src/sim/launch.js';
import { createSimDir, SIM_MAIN, simConf, type SimDir } from '../helpers/sim-guest.js';

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('sim-cli'); });
afterEach(async () => { await sim.cleanup(); });

describe('qvm-sim command line', () => {
  it('dryrun prints a summary and exits 0 without starting a guest', async () => {
    const conf = sim.writeConf('zephyr', 'system zephyr\ncpu\nram 0x80000000,128M\nvdev gic version 2\nload ./zephyr.elf\nvdev pl011\n  hostdev >-\n  loc 0x1c090000\n  intr gic:37\n');
    const result = await sim.run([`@${conf}`, 'set', 'fdt-dump-file', '/tmp/x.dtb', 'dryrun']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('system zephyr');
    expect(result.stdout).toContain('vdev pl011: hostdev >-, loc 0x1c090000, intr gic:37');
    expect(result.stdout).toContain('Exiting: dryrun completed');
    expect(sim.journal()).toEqual([]);
  });

  it('rejects a bad configuration with exit 65, naming file:line:col for every problem', async () => {
    const conf = sim.writeConf('bad', 'ram 64M\nsystem late\nramm 128M\n');
    const result = await sim.run([`@${conf}`]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(`${conf}:2:1: error: \`system\` must be the first entry`);
    expect(result.stderr).toContain(`${conf}:3:1: error: unknown option \`ramm\``);
  });

  it('names the command line as the place of a bad inline option', async () => {
    const conf = sim.writeConf('ok', simConf('ok'));
    const result = await sim.run([`@${conf}`, 'loc', '0x1000']);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('<command line>:1:1: error: `loc` applies to');
  });

  it('exits 65 for a missing ram, an unreadable file and a bad knob', async () => {
    const noRam = sim.writeConf('noram', 'system a\ncpu\n');
    expect((await sim.run([`@${noRam}`])).stderr).toContain(`${noRam}:1:1: error: no \`ram\` option`);
    const missing = await sim.run([`@${sim.dir}/nowhere.qvmconf`]);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain('cannot read configuration file');
    const knob = sim.writeConf('knob', simConf('knob', 'boot-ms=soon'));
    const bad = await sim.run([`@${knob}`]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('knob `boot-ms`: expected milliseconds');
  });

  it('prints help', async () => {
    const result = await sim.run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('qvm-sim guest <system>');
  });

  it('carries SIM_NODE_FLAGS in its #! line, and they start node without warnings', async () => {
    const shebang = readFileSync(SIM_MAIN, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${SIM_NODE_FLAGS.join(' ')}`);
    const result = await sim.run(['--help']);
    expect(result.stderr).toBe('');
  });
});
