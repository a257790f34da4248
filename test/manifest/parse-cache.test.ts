import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createParseCache } from '../../src/manifest/parse-cache.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const MANIFESTS = resolve(import.meta.dirname, '../../manifests');
let dir = '';
beforeEach(async () => {
  dir = await makeTempDir('parse-cache');
  await cp(MANIFESTS, dir, { recursive: true });
});
afterEach(async () => {
  await removeDir(dir);
});

describe('loading with a parse cache', () => {
  it('gives the same result as a load without one, on every load', async () => {
    const cache = createParseCache();
    const plain = await loadManifests({ dir });
    expect(await loadManifests({ dir, parseCache: cache })).toEqual(plain);
    expect(await loadManifests({ dir, parseCache: cache })).toEqual(plain);
  });

  it('parses a file again when its bytes change, even with the same size and time', async () => {
    const cache = createParseCache();
    const file = join(dir, 'svc.yaml');
    const text = await readFile(file, 'utf8');
    await loadManifests({ dir, parseCache: cache });
    await writeFile(file, text.replace('timeout: 20s', 'timeout: 30s'));
    const loaded = await loadManifests({ dir, parseCache: cache });
    expect(loaded.desired?.guests.find((g) => g.name === 'svc')?.readiness).toMatchObject({ timeoutMs: 30_000 });
    expect(loaded).toEqual(await loadManifests({ dir }));
  });

  it('reports a file that became invalid, and forgets a removed one', async () => {
    const cache = createParseCache();
    await loadManifests({ dir, parseCache: cache });
    await writeFile(join(dir, 'ivi.yaml'), 'kind: Guest\nspec: [unclosed\n');
    const broken = await loadManifests({ dir, parseCache: cache });
    expect(broken.status).toBe('invalid');
    expect(broken.diagnostics.some((d) => d.file.endsWith('ivi.yaml'))).toBe(true);
    await rm(join(dir, 'ivi.yaml'));
    await rm(join(dir, 'rear-seat.yaml'));
    const fewer = await loadManifests({ dir, parseCache: cache });
    expect(fewer).toEqual(await loadManifests({ dir }));
  });
});
