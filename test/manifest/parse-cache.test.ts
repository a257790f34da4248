import { cp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createParseCache, TRUSTED_AGE_MS, type ParseCache } from '../../src/manifest/parse-cache.js';
import { waitFor } from '../helpers/wait-for.js';
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

  it('serves an unchanged file without reading it once its times are older than the trust age, and reads it again when it is rewritten in place', async () => {
    const cache = createParseCache();
    const served: string[] = [];
    const counting: ParseCache = {
      ...cache,
      unchanged(file, info) {
        const known = cache.unchanged(file, info);
        if (known !== undefined) served.push(file);
        return known;
      },
    };
    const plain = await loadManifests({ dir });
    const file = join(dir, 'svc.yaml');
    // Until every file is older than the trust age, each load reads it.
    await waitFor(async () => { served.length = 0; await loadManifests({ dir, parseCache: counting }); return served.includes(file) ? true : undefined; }, { timeoutMs: TRUSTED_AGE_MS * 5 });
    expect(await loadManifests({ dir, parseCache: counting })).toEqual(plain);
    // The same size and mtime, other bytes: the change of ctime gives it away.
    const before = await stat(file);
    await writeFile(file, (await readFile(file, 'utf8')).replace('timeout: 20s', 'timeout: 30s'));
    await utimes(file, before.atime, before.mtime);
    expect((await stat(file)).size).toBe(before.size);
    const loaded = await loadManifests({ dir, parseCache: counting });
    expect(loaded.desired?.guests.find((g) => g.name === 'svc')?.readiness).toMatchObject({ timeoutMs: 30_000 });
    expect(loaded).toEqual(await loadManifests({ dir }));
  });

  it('never trusts the times of a file changed within the trust age of its read', () => {
    const cache = createParseCache();
    const now = Date.now();
    const info = (ageMs: number) => ({
      dev: 1n, ino: 2n, size: 3n,
      mtimeMs: BigInt(now - ageMs), ctimeMs: BigInt(now - ageMs),
      mtimeNs: BigInt(now - ageMs) * 1_000_000n, ctimeNs: BigInt(now - ageMs) * 1_000_000n,
    }) as unknown as import('node:fs').BigIntStats;
    const bytes = Buffer.from('kind: Guest\n');
    cache.parse('young.yaml', bytes, { info: info(TRUSTED_AGE_MS / 2), statAt: now });
    expect(cache.unchanged('young.yaml', info(TRUSTED_AGE_MS / 2))).toBeUndefined();
    cache.parse('old.yaml', bytes, { info: info(TRUSTED_AGE_MS * 2), statAt: now });
    expect(cache.unchanged('old.yaml', info(TRUSTED_AGE_MS * 2))).toBeDefined();
    expect(cache.unchanged('old.yaml', info(TRUSTED_AGE_MS * 3))).toBeUndefined();
  });
});
