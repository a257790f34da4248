// Settled input for a plain manifest directory: a file is used only once nothing
// changed it for the window. Times are passed in, so nothing here waits.
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createSettleTracker } from '../../src/manifest/settled.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir: string;
beforeEach(async () => { dir = await makeTempDir('settled'); });
afterEach(() => removeDir(dir));

const WINDOW = 300;
const ctimeOf = async (path: string): Promise<number> => (await stat(path)).ctimeMs;

describe('settled input', () => {
  it('a file is settled once its change time is a window old, not before, and the moment is told', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'one');
    const changed = await ctimeOf(file);
    const tracker = createSettleTracker();
    const early = await tracker.check([file], { windowMs: WINDOW, now: changed + 100, readAt: changed + 50 });
    expect(early).toEqual({ unsettled: [file], settledAt: changed + WINDOW });
    expect(await tracker.check([file], { windowMs: WINDOW, now: changed + WINDOW, readAt: changed + 250 })).toEqual({ unsettled: [], settledAt: undefined });
  });

  it('a write with an old modification time (touch -d, cp -p, tar) still counts: the change time cannot be set back', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'half');
    await utimes(file, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const changed = await ctimeOf(file);
    expect((await createSettleTracker().check([file], { windowMs: WINDOW, now: changed + 10, readAt: changed + 5 })).unsettled).toEqual([file]);
  });

  it('a file changed while it was being read is not settled, however old the change looks', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'one');
    const changed = await ctimeOf(file);
    expect((await createSettleTracker().check([file], { windowMs: 0, now: changed + 1, readAt: changed - 1 })).unsettled).toEqual([file]);
  });

  it('a path gone since it was read is not settled', async () => {
    const gone = join(dir, 'gone.yaml');
    expect(await createSettleTracker().check([gone], { windowMs: WINDOW, now: 1_000, readAt: 900 })).toEqual({ unsettled: [gone], settledAt: 1_000 + WINDOW });
  });

  it('with a change time in the future (another clock), the time it was first seen unchanged counts', async () => {
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'one');
    const changed = await ctimeOf(file);
    const tracker = createSettleTracker();
    // This process's clock is an hour behind the file system's.
    const now = changed - 3_600_000;
    expect((await tracker.check([file], { windowMs: WINDOW, now, readAt: now - 10 })).settledAt).toBe(now + WINDOW);
    expect((await tracker.check([file], { windowMs: WINDOW, now: now + WINDOW, readAt: now + WINDOW - 10 })).unsettled).toEqual([]);
  });

  it('a load names what it read: the directory, each manifest, and each configFile with its directory', async () => {
    await writeFile(join(dir, 'host.yaml'), 'apiVersion: qvmctl/v1\nkind: Host\nmetadata: { name: h }\nspec: { qvm: { simulator: true } }\n');
    await writeFile(join(dir, 'x.qvmconf'), 'system g\nram 0x80000000,64M\ncpu\n');
    await writeFile(join(dir, 'g.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: g }\nspec:\n  qvm: { configFile: x.qvmconf }\n');
    const r = await loadManifests({ dir });
    expect(r.status).toBe('ok');
    expect([...r.sources].sort()).toEqual([dir, join(dir, 'g.yaml'), join(dir, 'host.yaml'), join(dir, 'x.qvmconf')].sort());
    // An editor's atomic save (write aside, rename over) changes the directory: it settles too.
    await writeFile(join(dir, '.g.yaml.tmp'), 'apiVersion: qvmctl/v1\n');
    await rename(join(dir, '.g.yaml.tmp'), join(dir, 'g.yaml'));
    const changed = await ctimeOf(dir);
    expect((await createSettleTracker().check(r.sources, { windowMs: WINDOW, now: changed + 10, readAt: changed + 5 })).unsettled).toEqual(expect.arrayContaining([dir, join(dir, 'g.yaml')]));
  });
});
