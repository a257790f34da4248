// spec.consoleLog of the Host manifest: sizes as written, the defaults, and the messages of bad values.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir = '';
beforeEach(async () => { dir = await makeTempDir('console-log-limits'); });
afterEach(async () => { await removeDir(dir); });

async function hostWith(consoleLog: string | undefined): Promise<Awaited<ReturnType<typeof loadManifests>>> {
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { simulator: true }\n${consoleLog === undefined ? '' : `  consoleLog: ${consoleLog}\n`}`);
  return loadManifests({ dir });
}

describe('Host spec.consoleLog', () => {
  it('defaults to 10M and 3 kept', async () => {
    expect((await hostWith(undefined)).desired?.host.consoleLog).toEqual({ maxSizeBytes: 10 * 1024 * 1024, keep: 3 });
  });

  it.each([
    ['{ maxSize: 512K, keep: 0 }', { maxSizeBytes: 512 * 1024, keep: 0 }],
    ['{ maxSize: 10MiB }', { maxSizeBytes: 10 * 1024 * 1024, keep: 3 }],
    ['{ maxSize: 1G, keep: 10 }', { maxSizeBytes: 1024 ** 3, keep: 10 }],
    ['{ maxSize: 65536 }', { maxSizeBytes: 65536, keep: 3 }],
  ])('reads %s', async (text, expected) => {
    const loaded = await hostWith(text);
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(loaded.desired?.host.consoleLog).toEqual(expected);
  });

  it.each([
    ['{ maxSize: 1K }', /host\.yaml:5:\d+: error: expected a size from 4K to 1G, got `1K` \(spec\.consoleLog\.maxSize\)/],
    ['{ maxSize: 2G }', /expected a size from 4K to 1G, got `2G`/],
    ['{ maxSize: 10 MB }', /expected a size like 10M \(bytes, or K, M, G\), got `10 MB`/],
    ['{ keep: -1 }', /spec\.consoleLog\.keep/],
    ['{ rotate: daily }', /unknown field `rotate` in spec\.consoleLog/],
  ])('refuses %s with a message naming the file, line and field', async (text, message) => {
    const loaded = await hostWith(text);
    expect(loaded.desired).toBeUndefined();
    expect(loaded.diagnostics.map(formatDiagnostic).join('\n')).toMatch(message);
  });
});
