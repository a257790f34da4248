// qvm runs in the guest's working directory, not wherever qvmctl was started (docs/manifests.md,
// "Paths"), so `load ./zephyr.elf` means the file beside the configuration.
import { mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestSpec, useHarness } from '../helpers/runtime-harness.js';

const h = useHarness();

describe('the working directory of qvm', () => {
  it('is the spec\'s working directory', async () => {
    const dir = join(h.stateDir, 'configs-here');
    await mkdir(dir);
    const guest = await h.startRunning({ ...guestSpec('wd'), workingDir: dir });
    expect(await readlink(`/proc/${guest.pid}/cwd`)).toBe(dir);
  });

  it('is the guests directory of the state directory for a spec without one', async () => {
    const guest = await h.startRunning(guestSpec('wd-default'));
    expect(await readlink(`/proc/${guest.pid}/cwd`)).toBe(join(h.stateDir, 'guests'));
  });

  it('refuses to start, with the reason, when the directory is gone', async () => {
    await expect(h.runtime.start({ ...guestSpec('wd-gone'), workingDir: join(h.stateDir, 'nowhere') })).rejects.toThrow(/working directory .*nowhere is not a directory/);
    expect((await h.runtime.observe()).guests).toEqual([]);
  });
});
