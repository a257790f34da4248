// The structured spec.qvm fields for the rest of the qvmconf vocabulary (docs/manifests.md,
// docs/qvmconf.md): cmdline, reserve and other global options, rendered and checked like the rest.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { loadManifests } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir: string;
beforeEach(async () => { dir = await makeTempDir('structured-qvm'); });
afterEach(() => removeDir(dir));

// The qvm fields start on line 6.
const guest = (qvm: string): string => `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: linux }
spec:
  qvm:
${qvm.split('\n').map((l) => `    ${l}`).join('\n')}
`;

async function load(qvm: string): Promise<{ qvmconf: string | undefined; errors: string[] }> {
  await writeFile(join(dir, 'linux.yaml'), guest(qvm));
  // The simulator reads no guest images, so their paths need not exist here (docs/manifests.md, "Paths").
  await writeFile(join(dir, 'host.yaml'), 'apiVersion: qvmctl/v1\nkind: Host\nmetadata:\n  name: h\nspec:\n  qvm: {simulator: true}\n');
  const r = await loadManifests({ dir });
  return { qvmconf: r.desired?.guests[0]?.qvmconf, errors: r.diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(dir.length + 1) })) };
}

describe('structured cmdline, reserve and options', () => {
  it('render as qvm reads them: cmdline in quotes, options in order, reserve as a context', async () => {
    const r = await load([
      'ram: ["0x80000000,512M"]',
      'cpus: 2',
      'load: [/guests/linux/Image]',
      'cmdline: "console=ttyAMA0 earlycon=pl011,0x1c090000 loglevel=9"',
      'options: [{unsupported: register abort}, {tolerance: 50}, {safety: warn}]',
      'reserve: [{intr: 39}, {loc: "0x1000,0x8"}]',
    ].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.qvmconf).toBe([
      'system linux',
      'ram 0x80000000,512M',
      'load /guests/linux/Image',
      'cmdline "console=ttyAMA0 earlycon=pl011,0x1c090000 loglevel=9"',
      'unsupported register abort',
      'tolerance 50',
      'safety warn',
      'cpu',
      'cpu',
      'reserve',
      '    intr 39',
      'reserve',
      '    loc 0x1000,0x8',
      '',
    ].join('\n'));
  });

  it('reports a wrong value at the item, with the reference values', async () => {
    const r = await load('ram: ["64M"]\noptions: [{tolerance: 50}, {unsupported: registers abort}]');
    expect(r.errors).toEqual([
      'linux.yaml:7:46: error: qvm: `unsupported`: `registers` is not one of `instruction`, `reference`, `register` (expected `unsupported instruction|reference|register abort|fail|ignore`)',
    ]);
  });

  it('refuses in options what has its own field, dryrun, and what is not a global option', async () => {
    const r = await load('ram: ["64M"]\noptions: [{cpu: null}, {dryrun: null}, {sched: 10}]');
    expect(r.errors).toEqual([
      'linux.yaml:7:21: error: `cpu` has its own field: use spec.qvm.cpus',
      'linux.yaml:7:37: error: `dryrun` makes qvm exit once the configuration is checked: the guest would never run',
      'linux.yaml:7:52: error: `sched` is not a global qvm option (docs/qvmconf.md lists them); options of a vdev go in its `options`',
    ]);
  });

  it('a set variable that belongs to a vdev is refused among the VM options, and accepted in the vdev', async () => {
    const bad = await load('ram: ["64M"]\nset: {debug: "off"}');
    expect(bad.errors).toEqual(['linux.yaml:7:18: error: qvm: `set debug` applies to the `vdev` being configured, but no context is open here']);
    const good = await load('ram: ["64M"]\nset: {counter-offset: 0}\nvdevs: [{type: virtio-blk, options: [{hostdev: /dev/hd0}, {set: debug off}]}]');
    expect(good.errors).toEqual([]);
    expect(good.qvmconf).toContain('set counter-offset 0\nvdev virtio-blk\n    hostdev /dev/hd0\n    set debug off\n');
  });

  it('a double quote cannot be written in a qvm argument', async () => {
    const r = await load('ram: ["64M"]\nvdevs: [{type: pl011, options: [{hostdev: \'a"b\'}]}]');
    expect(r.errors).toEqual(['linux.yaml:7:47: error: a qvm argument cannot contain a double quote (`"`): `a"b`']);
  });

  it('names the manifest line where the open context was written, in structured and raw forms', async () => {
    const structured = await load('ram: ["64M"]\nvdevs:\n  - type: pl011\n    options: [{loc: "0x1c090000"}, {sched: 10}]');
    expect(structured.errors).toEqual(['linux.yaml:9:48: error: qvm: `sched` applies to a `cpu` context, but the open context is `vdev pl011` (line 8)']);
    const raw = await load('config: |\n  system linux\n  ram 64M\n  cpu\n    frobnicate 3');
    expect(raw.errors).toEqual([
      'linux.yaml:10:9: error: qvm: unknown option `frobnicate` in the `cpu` context opened at line 9: a `cpu` takes `partition`, `runmask`, `sched` or `cluster` (global options may appear anywhere)',
    ]);
  });
});
