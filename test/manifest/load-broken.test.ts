import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests, type LoadResult } from '../../src/manifest/load.js';
import { copyFixture, removeDir } from '../helpers/temp-dir.js';

let dir: string;
let result: LoadResult;

beforeAll(async () => {
  dir = await copyFixture('broken');
  await writeFile(join(dir, 'garbage.yml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0xff, 0xfe, 0x80]));
  result = await loadManifests({ dir });
});
afterAll(() => removeDir(dir));

const where = (r: LoadResult): string[] => r.diagnostics.map((d) => `${basename(d.file)}:${d.line ?? '-'}:${d.col ?? '-'} ${d.code}`);

describe('loadManifests on a directory of broken manifests', () => {
  it('is invalid and has no desired state', () => {
    expect(result.status).toBe('invalid');
    expect(result.desired).toBeUndefined();
  });

  it.each([
    ['bad-types.yaml:6:10 schema', 'expected one of running, stopped; got `sleeping`'],
    ['bad-types.yaml:8:11 schema', 'expected a whole number or a list, got `two`'],
    ['bad-types.yaml:11:19 schema', 'expected a duration like 30s (units ms, s, m, h), got `5 minutes`'],
    ['bad-types.yaml:12:20 schema', 'expected true or false, got `yes`'],
    ['unknown-fields.yaml:5:3 schema', 'unknown field `colour` in metadata'],
    ['unknown-fields.yaml:11:5 schema', 'unknown field `graceful` in spec.shutdown'],
    ['cycle.yaml:6:15 dependency-cycle', 'dependency cycle: alpha → gamma → beta → alpha'],
    ['cycle.yaml:13:22 unknown-dependency', '`beta` depends on `nowhere`, but no guest has that name'],
    ['dup-1.yaml:4:9 duplicate-name', 'duplicate guest name `twin` (also at'],
    ['dup-2.yaml:4:9 duplicate-name', 'duplicate guest name `twin` (also at'],
    ['syntax.yaml:6:1 yaml-syntax', 'YAML: Flow map in block collection'],
    ['empty.yaml:-:- empty-file', 'file holds no YAML document'],
    ['garbage.yml:-:- not-text', 'not UTF-8 text'],
    ['hostile.yaml:10:7 qvmconf', 'qvm: unknown option `frobnicate`'],
    ['hostile.yaml:12:17 readiness', 'log pattern is not a valid regular expression'],
    ['hostile.yaml:15:20 command-shell', 'executable `/bin/sh` is a shell or launcher'],
    ['config-file.yaml:7:17 config-file-missing', 'guests/missing.qvmconf` does not exist'],
    ['config-file.yaml:10:7 kind', 'unknown kind `Sandwich`; expected Guest or Host'],
    ['config-file.yaml:14:1 not-a-manifest', 'expected a manifest'],
    ['devices.yaml:5:3 shared-device', 'host device `mem:0x1c0a0000` is passed through to more than one guest: `left`, `right`'],
    ['devices.yaml:15:3 shared-device', 'host device `mem:0x1c0a0000`'],
    ['devices.yaml:5:3 duplicate-system', 'qvm system name `shared` is used by more than one guest'],
    ['devices.yaml:5:3 shared-cpu', 'host CPU 2 is pinned exclusively'],
  ])('reports %s', (position, message) => {
    const index = where(result).indexOf(position);
    expect(index, `${position} in ${where(result).join('\n')}`).toBeGreaterThanOrEqual(0);
    expect(result.diagnostics[index]?.message).toContain(message);
  });

  it('reports nothing else', () => {
    expect(result.diagnostics).toHaveLength(25);
    expect(result.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('counts one duplicate name as one problem per place, not also as a duplicate system', () => {
    expect(where(result).filter((w) => w.startsWith('dup-'))).toEqual(['dup-1.yaml:4:9 duplicate-name', 'dup-2.yaml:4:9 duplicate-name']);
  });
});

describe('loadManifests on unusual directories', () => {
  it('says unreadable for a missing directory', async () => {
    const r = await loadManifests({ dir: join(dir, 'no-such-dir') });
    expect(r.status).toBe('unreadable');
    expect(r.diagnostics[0]?.code).toBe('unreadable-directory');
  });

  it('says empty for a directory without manifests', async () => {
    const sub = join(dir, 'guests');
    await mkdir(sub);
    await writeFile(join(sub, 'notes.txt'), 'not a manifest');
    const r = await loadManifests({ dir: sub });
    expect(r.status).toBe('empty');
    expect(r.desired).toBeUndefined();
  });
});
