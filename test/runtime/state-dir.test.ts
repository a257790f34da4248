// State directory helpers: atomic files, guest-name checks, history round trip.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GuestHistory } from '../../src/model/observed.js';
import { readJsonFile, writeJsonAtomic } from '../../src/runtime/state/atomic-file.js';
import { loadGuestHistory, saveGuestHistory } from '../../src/runtime/state/history.js';
import { createStateLayout } from '../../src/runtime/state/layout.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qvmctl-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('state directory', () => {
  it('writes JSON atomically, private, without leftovers', async () => {
    const path = join(dir, 'a.json');
    await writeJsonAtomic(path, { a: 1 });
    await writeJsonAtomic(path, { a: 2 });
    expect(await readJsonFile(path)).toEqual({ a: 2 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.json']);
    expect(await readJsonFile(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('builds guest paths only from DNS-label names', () => {
    const layout = createStateLayout(dir);
    expect(layout.guestDir('android-1')).toBe(join(dir, 'guests', 'android-1'));
    for (const bad of ['../etc', 'a/b', '', 'UPPER', '-x', 'x'.repeat(64), 'a b']) {
      expect(() => layout.guestDir(bad)).toThrow(expect.objectContaining({ name: 'InvalidGuestNameError' }) as Error);
    }
    expect(() => layout.confFile('ok', '../../x')).not.toThrow();
    expect(layout.confFile('ok', '../../x')).toBe(join(dir, 'guests', 'ok', 'x.qvmconf'));
  });

  it('round-trips guest history and starts empty', async () => {
    expect(await loadGuestHistory({ stateDir: dir, name: 'g' })).toMatchObject({ name: 'g', failures: [], failed: false, restarts: 0 });
    const history: GuestHistory = {
      name: 'g',
      failures: [1, 2],
      lastExit: { name: 'g', pid: 5, code: 96, signal: null, at: 3, startedAt: 1, requested: false },
      failed: true,
      failedConfigHash: 'abc',
      restarts: 4,
    };
    await saveGuestHistory({ stateDir: dir, history });
    expect(await loadGuestHistory({ stateDir: dir, name: 'g' })).toEqual(history);
  });
});
