import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { durationOr, isDurationOverLimit, MAX_DURATION_MS, parseDuration } from '../../src/manifest/duration.js';
import { loadManifests } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

/** Node's timers hold at most this; anything longer fires after 1 ms. */
const TIMER_MAX_MS = 2 ** 31 - 1;

describe('parseDuration', () => {
  it.each([['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['2h', 7_200_000], ['1.5s', 1500], ['0s', 0], ['576h', MAX_DURATION_MS], ['2073600000ms', MAX_DURATION_MS]])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['5 minutes', '30', 's', '-1s', '1d', '', '600h', '576.5h', '34561m', '2073600001ms', '2073600000.5ms'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it('falls back when absent', () => {
    expect(durationOr(undefined, 7)).toBe(7);
  });
  it('tells a duration over the bound from a malformed one', () => {
    expect(['600h', '2073600001ms', '5 minutes', '30s', 7].map(isDurationOverLimit)).toEqual([true, true, false, false, false]);
  });
  it('leaves room below the timer limit: every wait on a valid duration, with a minute of slack, fits a timer', () => {
    expect(MAX_DURATION_MS + 60_000).toBeLessThan(TIMER_MAX_MS);
  });
});

describe('the schema bound on durations', () => {
  const common = JSON.parse(readFileSync(new URL('../../schemas/common.schema.json', import.meta.url), 'utf8')) as { $defs: { duration: { pattern: string } } };
  const pattern = new RegExp(common.$defs.duration.pattern, 'u');
  // Whole numbers near and far from the bound in every unit, with short fractions (exact in binary
  // floating point up to rounding that cannot cross the bound).
  const amount = fc.oneof(
    fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String),
    fc.constantFrom(576, 34_560, 2_073_600, 2_073_600_000).chain((n) => fc.integer({ min: -2, max: 2 }).map((d) => String(n + d))),
  );
  const text = fc.tuple(fc.constantFrom('', '0', '00'), amount, fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }), fc.constantFrom('ms', 's', 'm', 'h'))
    .map(([zeros, whole, fraction, unit]) => `${zeros}${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`);

  it('accepts exactly what parseDuration accepts', () => {
    fc.assert(fc.property(text, (t) => { expect(pattern.test(t)).toBe(parseDuration(t) !== undefined); }), { numRuns: 3000 });
  });

  it('never lets a value through that overflows a timer', () => {
    fc.assert(fc.property(text, (t) => { if (pattern.test(t)) expect(parseDuration(t)).toBeLessThanOrEqual(TIMER_MAX_MS); }), { numRuns: 3000 });
  });

  it('is reported by validate at the field, naming the bound', async () => {
    const dir = await makeTempDir('duration');
    try {
      await writeFile(join(dir, 'host.yaml'), 'apiVersion: qvmctl/v1\nkind: Host\nspec:\n  reconcile: { interval: 600h }\n');
      await writeFile(join(dir, 'g.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: g }\nspec:\n  qvm: { ram: [128M] }\n  shutdown:\n    guestTimeout: 600h\n    powerButtonTimeout: 576h\n');
      const r = await loadManifests({ dir });
      expect(r.status).toBe('invalid');
      expect(r.diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(dir.length + 1) }))).toEqual([
        'g.yaml:7:19: error: expected a duration of at most 576h (24 days), the longest qvmctl can wait, got `600h` (spec.shutdown.guestTimeout)',
        'host.yaml:4:26: error: expected a duration of at most 576h (24 days), the longest qvmctl can wait, got `600h` (spec.reconcile.interval)',
      ]);
    } finally {
      await removeDir(dir);
    }
  });
});
