// Paths like qvm sees them (docs/manifests.md, "Paths"): qvm runs in the config file's directory,
// or the manifest's for an inline configuration, and `validate` checks the `load` files and `dump`
// directories there, at the line that names them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { loadManifests } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let manifests: string;

const HOST_REAL = 'apiVersion: qvmctl/v1\nkind: Host\nmetadata:\n  name: h\nspec:\n  qvm: {path: /usr/sbin/qvm}\n';
const HOST_SSH = 'apiVersion: qvmctl/v1\nkind: Host\nmetadata:\n  name: h\nspec:\n  qvm: {path: /usr/sbin/qvm}\n  connection: {ssh: {host: qnx}}\n  stateDir: /var/qvmctl\n';
const HOST_SIM = 'apiVersion: qvmctl/v1\nkind: Host\nmetadata:\n  name: h\nspec:\n  qvm: {simulator: true}\n';

// The config block starts on line 8: `system` is line 8, the first option after it line 9.
const inline = (name: string, lines: readonly string[]): string => `apiVersion: qvmctl/v1
kind: Guest
metadata:
  name: ${name}
spec:
  qvm:
    config: |
      system ${name}
${lines.map((l) => `      ${l}\n`).join('')}`;

beforeEach(async () => {
  root = await makeTempDir('qvm-paths');
  manifests = join(root, 'manifests');
  await mkdir(join(manifests, 'guests', 'images'), { recursive: true });
  await writeFile(join(manifests, 'guests', 'images', 'zephyr.elf'), 'elf');
  await writeFile(join(manifests, 'kernel'), 'kernel');
});
afterEach(() => removeDir(root));

const load = () => loadManifests({ dir: manifests });
const lines = async (): Promise<string[]> => (await load()).diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.replace(`${root}/`, '') }));

describe('qvm paths on a local host with the real qvm', () => {
  beforeEach(() => writeFile(join(manifests, 'host.yaml'), HOST_REAL));

  it('resolves a config file\'s relative paths against its own directory, and qvm runs there', async () => {
    await writeFile(join(manifests, 'guests', 'z.qvmconf'), 'system z\nram 0x80000000,64M\ncpu\nload ./images/zephyr.elf\n');
    await writeFile(join(manifests, 'z.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata:\n  name: z\nspec:\n  qvm:\n    configFile: guests/z.qvmconf\n');
    const result = await load();
    expect(result.diagnostics).toEqual([]);
    expect(result.desired?.guests[0]?.workingDir).toBe(join(manifests, 'guests'));
  });

  it('reports a missing load file at the config file line that names it, with the directory it was looked for in', async () => {
    await writeFile(join(manifests, 'guests', 'z.qvmconf'), 'system z\nram 0x80000000,64M\ncpu\ninitrd load 0x90000000,./images/missing.img\n');
    await writeFile(join(manifests, 'z.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata:\n  name: z\nspec:\n  qvm:\n    configFile: guests/z.qvmconf\n');
    expect(await lines()).toEqual([
      `manifests/guests/z.qvmconf:4:1: error: \`initrd load\` file \`${join(manifests, 'guests', 'images', 'missing.img')}\` does not exist (qvm runs in ${join(manifests, 'guests')}): qvm would not start`,
    ]);
    expect((await load()).desired?.guests.some((g) => g.name === 'z') ?? false).toBe(false);
  });

  it('resolves an inline configuration against the manifest directory; a missing dump directory is a warning', async () => {
    await writeFile(join(manifests, 'i.yaml'), inline('i', ['ram 0x80000000,64M', 'cpu', 'load kernel', 'dump ./dumps', 'dump "|gzip >x.gz"']));
    expect(await lines()).toEqual([
      `manifests/i.yaml:12:7: warning: \`dump\` directory \`${join(manifests, 'dumps')}\` does not exist (qvm runs in ${manifests}): a guest dump would fail`,
    ]);
    expect((await load()).desired?.guests[0]?.workingDir).toBe(manifests);
  });

  it('checks structured load and initrd items at the manifest line that names them', async () => {
    await writeFile(join(manifests, 's.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata:\n  name: s\nspec:\n  qvm:\n    ram: ["0x80000000,64M"]\n    load: [kernel]\n    initrd: /nowhere/initrd.img\n');
    const found = await lines();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^manifests\/s\.yaml:9:\d+: error: `initrd load` file `\/nowhere\/initrd.img` does not exist: qvm would not start$/);
  });
});

describe('qvm paths elsewhere', () => {
  it('on an ssh host: a relative path is a warning naming what it means on the host; absolute paths are not looked for here', async () => {
    await writeFile(join(manifests, 'host.yaml'), HOST_SSH);
    await writeFile(join(manifests, 'r.yaml'), inline('r', ['ram 0x80000000,64M', 'cpu', 'load ./zephyr.elf', 'load /boot/absent.ifs']));
    expect(await lines()).toEqual([
      'manifests/r.yaml:11:7: warning: `load` path `./zephyr.elf` is relative: on the ssh host qvm runs in /var/qvmctl/guests, so it means /var/qvmctl/guests/zephyr.elf there; give the absolute path on the host',
    ]);
    expect((await load()).desired?.guests[0]?.workingDir).toBeUndefined();
  });

  it('on the simulator: nothing is checked (it reads no guest images)', async () => {
    await writeFile(join(manifests, 'host.yaml'), HOST_SIM);
    await writeFile(join(manifests, 'm.yaml'), inline('m', ['ram 0x80000000,64M', 'cpu', 'load /guests/m/kernel']));
    expect(await lines()).toEqual([]);
  });
});
