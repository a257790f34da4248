import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let manifests: string;
let outside: string;

const guest = (configFile: string): string => `apiVersion: qvmctl/v1\nkind: Guest\nmetadata:\n  name: g\nspec:\n  qvm:\n    configFile: ${configFile}\n`;
const QVMCONF = 'system g\nram 128M\n';

beforeEach(async () => {
  root = await makeTempDir('config-file');
  manifests = join(root, 'manifests');
  outside = join(root, 'elsewhere');
  await mkdir(join(manifests, 'guests'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'g.qvmconf'), QVMCONF);
});
afterEach(() => removeDir(root));

describe('configFile', () => {
  it('reads a file inside the manifest directory and reports its own errors at its own lines', async () => {
    await writeFile(join(manifests, 'guests', 'g.qvmconf'), 'system g\nram 128M\nbogus 1\n');
    await writeFile(join(manifests, 'g.yaml'), guest('guests/g.qvmconf'));
    const r = await loadManifests({ dir: manifests });
    expect(r.diagnostics).toEqual([expect.objectContaining({ file: join(manifests, 'guests/g.qvmconf'), line: 3, col: 1, message: 'qvm: unknown option `bogus`' })]);
  });

  it('refuses a symlink that leads outside the manifest directory', async () => {
    await symlink(join(outside, 'g.qvmconf'), join(manifests, 'guests', 'g.qvmconf'));
    await writeFile(join(manifests, 'g.yaml'), guest('guests/g.qvmconf'));
    const r = await loadManifests({ dir: manifests });
    expect(r.status).toBe('invalid');
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'config-file-outside', line: 7, col: 17 })]);
  });

  it('refuses ../ paths, unless a Host configRoots entry allows the directory', async () => {
    await writeFile(join(manifests, 'g.yaml'), guest('../elsewhere/g.qvmconf'));
    expect((await loadManifests({ dir: manifests })).diagnostics[0]?.code).toBe('config-file-outside');
    await writeFile(join(manifests, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nspec:\n  configRoots: [${outside}]\n`);
    const r = await loadManifests({ dir: manifests });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired?.guests[0]?.qvmconf).toBe(QVMCONF);
  });

  it('changes the fingerprint when the .qvmconf changes', async () => {
    await writeFile(join(manifests, 'guests', 'g.qvmconf'), QVMCONF);
    await writeFile(join(manifests, 'g.yaml'), guest('guests/g.qvmconf'));
    const before = await loadManifests({ dir: manifests });
    await writeFile(join(manifests, 'guests', 'g.qvmconf'), `${QVMCONF}load /x\n`);
    const after = await loadManifests({ dir: manifests });
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.desired?.guests[0]?.configHash).not.toBe(before.desired?.guests[0]?.configHash);
  });
});
