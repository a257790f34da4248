// spec.history of the Host manifest: how many exit records each guest keeps (docs/runtime.md,
// "Compaction"), the default, and the messages of bad values.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir = '';
beforeEach(async () => { dir = await makeTempDir('history-limits'); });
afterEach(async () => { await removeDir(dir); });

async function hostWith(history: string | undefined): Promise<Awaited<ReturnType<typeof loadManifests>>> {
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { simulator: true }\n${history === undefined ? '' : `  history: ${history}\n`}`);
  return loadManifests({ dir });
}

describe('Host spec.history', () => {
  it('defaults to the last 3 runs, with or without a Host manifest', async () => {
    expect((await hostWith(undefined)).desired?.host.history).toEqual({ keep: 3 });
    expect((await hostWith('{}')).desired?.host.history).toEqual({ keep: 3 });
    expect((await loadManifests({ dir })).desired?.host.history).toEqual({ keep: 3 });
  });

  it.each([['{ keep: 1 }', 1], ['{ keep: 10 }', 10], ['{ keep: 1000 }', 1000]])('reads %s', async (text, keep) => {
    const loaded = await hostWith(text);
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(loaded.desired?.host.history).toEqual({ keep });
  });

  it.each([
    ['{ keep: 0 }', /host\.yaml:5:20: error: must be >= 1, got `0` \(number\) \(spec\.history\.keep\)/],
    ['{ keep: 1001 }', /host\.yaml:5:20: error: must be <= 1000, got `1001` \(number\) \(spec\.history\.keep\)/],
    ['{ keep: many }', /host\.yaml:5:20: error: expected a whole number, got `many` \(spec\.history\.keep\)/],
    ['{ keep: 2.5 }', /host\.yaml:5:20: error: expected a whole number, got `2\.5`/],
    ['{ runs: 3 }', /host\.yaml:5:\d+: error: unknown field `runs` in spec\.history/],
  ])('refuses %s with a message naming the file, line and field', async (text, message) => {
    const loaded = await hostWith(text);
    expect(loaded.desired).toBeUndefined();
    expect(loaded.diagnostics.map(formatDiagnostic).join('\n')).toMatch(message);
  });
});
