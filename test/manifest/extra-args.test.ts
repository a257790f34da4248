// `spec.qvm.extraArgs` are part of qvm's token stream: checked by the same parser and rules as the
// configuration itself, with every error at the manifest item (or the @file line) that caused it.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { loadManifests } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let manifests: string;
let outside: string;

// extraArgs start on line 12, one item per line: item i is at line 12 + i, column 9.
const guest = (name: string, extraArgs: readonly string[]): string => `apiVersion: qvmctl/v1
kind: Guest
metadata:
  name: ${name}
spec:
  qvm:
    config: |
      system ${name}
      ram 0x80000000,128M
      cpu
    extraArgs:
${extraArgs.map((a) => `      - ${JSON.stringify(a)}\n`).join('')}`;

beforeEach(async () => {
  root = await makeTempDir('extra-args');
  manifests = join(root, 'manifests');
  outside = join(root, 'elsewhere');
  await mkdir(join(manifests, 'guests'), { recursive: true });
  await mkdir(outside);
});
afterEach(() => removeDir(root));

const load = () => loadManifests({ dir: manifests });
const lines = async (): Promise<string[]> => (await load()).diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(root.length + 1) }));

describe('extraArgs', () => {
  it('refuses an @file outside the manifest directory and configRoots: qvm would read any file', async () => {
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['@/etc/passwd']));
    const r = await load();
    expect(r.status).toBe('invalid');
    expect(await lines()).toEqual(['manifests/g.yaml:12:9: error: config file `/etc/passwd` resolves to /etc/passwd, outside the manifest directory and Host configRoots (spec.qvm.extraArgs[0])']);
  });

  it('refuses an @file that is a symlink out of the manifest directory', async () => {
    await writeFile(join(outside, 'x.qvmconf'), 'set a b\n');
    await symlink(join(outside, 'x.qvmconf'), join(manifests, 'guests', 'x.qvmconf'));
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['@guests/x.qvmconf']));
    expect((await load()).diagnostics).toEqual([expect.objectContaining({ code: 'config-file-outside', line: 12, col: 9, field: 'spec.qvm.extraArgs[0]' })]);
  });

  it('reads an @file inside the allowed roots, checks it at its own lines, and hands qvm its real path', async () => {
    await writeFile(join(manifests, 'guests', 'more.qvmconf'), 'set a b\nbogus 1\n');
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['@guests/more.qvmconf']));
    expect(await lines()).toEqual(['manifests/guests/more.qvmconf:2:1: error: qvm: unknown option `bogus` in the `cpu` context opened in spec.qvm: a `cpu` takes `partition`, `runmask`, `sched` or `cluster` (global options may appear anywhere) (spec.qvm.extraArgs[0])']);
    await writeFile(join(manifests, 'guests', 'more.qvmconf'), 'set a b\n');
    const before = await load();
    expect(before.status).toBe('ok');
    expect(before.desired?.guests[0]?.extraArgs).toEqual([`@${join(manifests, 'guests', 'more.qvmconf')}`]);
    // qvm reads the file at every start: a change of its contents is a config change.
    await writeFile(join(manifests, 'guests', 'more.qvmconf'), 'set a c\n');
    const after = await load();
    expect(after.desired?.guests[0]?.configHash).not.toBe(before.desired?.guests[0]?.configHash);
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('checks inline words with the qvmconf parser, at the item that holds them', async () => {
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['set', 'fdt-dump-file', '/tmp/x', 'frobnicate', '7', 'system']));
    expect(await lines()).toEqual([
      'manifests/g.yaml:15:9: error: qvm: unknown option `frobnicate` in the `cpu` context opened in spec.qvm: a `cpu` takes `partition`, `runmask`, `sched` or `cluster` (global options may appear anywhere) (spec.qvm.extraArgs[3])',
      'manifests/g.yaml:17:9: error: qvm: missing argument for `system`: expected `system name` (spec.qvm.extraArgs[5])',
      'manifests/g.yaml:17:9: error: qvm: `system` must be the first entry of the configuration (spec.qvm.extraArgs[5])',
    ]);
  });

  it('counts pass-through devices and pinned CPUs given as extraArgs in the cross-guest checks', async () => {
    await writeFile(join(manifests, 'a.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: a }\nspec:\n  qvm:\n    ram: ["0x80000000,128M"]\n    pass: [{ loc: "mem:0x1c0a0000,0x1000,rw=0x1c0a0000" }]\n');
    await writeFile(join(manifests, 'b.yaml'), guest('b', ['pass', 'loc', 'mem:0x1c0a0000,0x1000,rw=0x1c0a0000']));
    const r = await load();
    expect(r.status).toBe('invalid');
    expect(r.diagnostics.map((d) => `${d.file.slice(manifests.length + 1)} ${d.code}: ${d.message}`)).toEqual([
      'a.yaml shared-device: host device `mem:0x1c0a0000` is passed through to more than one guest: `a`, `b`',
      'b.yaml shared-device: host device `mem:0x1c0a0000` is passed through to more than one guest: `a`, `b`',
    ]);
    await writeFile(join(manifests, 'a.yaml'), guest('a', ['runmask', '3']));
    await writeFile(join(manifests, 'b.yaml'), guest('b', ['runmask', '3']));
    expect((await load()).diagnostics.map((d) => d.code)).toEqual(['shared-cpu', 'shared-cpu']);
  });

  it('refuses an item with whitespace or a leading # (qvm and the parser would split it differently)', async () => {
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['set a b', '#x']));
    expect(await lines()).toEqual([
      'manifests/g.yaml:12:9: error: expected one qvm argument per item (no whitespace, not starting with #), got `set a b` (spec.qvm.extraArgs[0])',
      'manifests/g.yaml:13:9: error: expected one qvm argument per item (no whitespace, not starting with #), got `#x` (spec.qvm.extraArgs[1])',
    ]);
  });

  it('accepts valid words and keeps them as given', async () => {
    await writeFile(join(manifests, 'g.yaml'), guest('g', ['set', 'fdt-dump-file', '/tmp/x']));
    const r = await load();
    expect(r.diagnostics).toEqual([]);
    expect(r.desired?.guests[0]?.extraArgs).toEqual(['set', 'fdt-dump-file', '/tmp/x']);
  });
});
