// The ssh adapter reads the configuration files that a qvm it did not start names, with the shell
// tools of the host (mksh, toybox head): regular files only, their first 64 KiB.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemOfQvm } from '../../src/runtime/qvm-system.js';
import { configHeadsScript, parseConfigHeads } from '../../src/runtime/ssh/remote-observe.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir = '';
beforeEach(async () => { dir = await makeTempDir('qvmctl-heads-'); });
afterEach(async () => { await removeDir(dir); });

describe('reading the configuration files of a qvm started by hand, on the host', () => {
  it('gives each regular file, never a FIFO or a missing file, and tells the system name', async () => {
    const conf = join(dir, 'linux.qvmconf');
    const spaced = join(dir, 'with space.qvmconf');
    const fifo = join(dir, 'fifo.qvmconf');
    await writeFile(conf, '# cockpit\nsystem linux\nram 1G');
    await writeFile(spaced, `system spaced\n${'#'.repeat(200_000)}\n`);
    await execa('mkfifo', [fifo]);
    const files = [conf, spaced, fifo, join(dir, 'gone.qvmconf')];
    const { stdout } = await execa('/usr/bin/mksh', ['-c', `${prelude('linux')}\n${configHeadsScript(files)}`], { env: { PATH: '/usr/bin:/bin' }, extendEnv: false });
    const heads = parseConfigHeads(stdout);
    expect([...heads.keys()]).toEqual([conf, spaced]);
    expect(heads.get(spaced)?.length).toBeLessThanOrEqual(65_536 + 1);
    expect(systemOfQvm(['qvm', `@${fifo}`, `@${conf}`], heads)).toBe('linux');
    expect(systemOfQvm(['qvm', `@${spaced}`], heads)).toBe('spaced');
  });
});
