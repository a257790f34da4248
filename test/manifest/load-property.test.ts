// Whatever is in the directory, loading returns a result with diagnostics and never throws.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadManifests, type LoadResult } from '../../src/manifest/load.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const NUM_RUNS = 150;
let dir: string;

beforeAll(async () => { dir = await makeTempDir('property'); });
afterAll(() => removeDir(dir));

const VALID_GUEST = {
  apiVersion: 'qvmctl/v1',
  kind: 'Guest',
  metadata: { name: 'prop', labels: { a: 'b' } },
  spec: {
    qvm: { cpus: [{ runmask: 1 }], ram: ['0x80000000,128M'], vdevs: [{ type: 'pl011', options: [{ loc: '0x1c090000' }, { intr: 'gic:37' }] }] },
    dependsOn: [],
    readiness: { minUptime: '1s' },
    shutdown: { guestTimeout: '5s', powerButton: 'graceful', allowPowerCut: false },
    restart: { exitCodes: { '40': 'reboot' }, backoff: { initial: '1s' } },
  },
};

async function loadOne(content: string | Uint8Array): Promise<LoadResult> {
  const file = join(dir, 'manifest.yaml');
  await rm(file, { force: true });
  await writeFile(file, content);
  return loadManifests({ dir });
}

function expectWellFormed(result: LoadResult): void {
  expect(['ok', 'invalid']).toContain(result.status);
  if (result.status === 'invalid') expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  else expect(result.desired).toBeDefined();
  for (const d of result.diagnostics) {
    expect(d.message.length).toBeGreaterThan(0);
    if (d.line !== undefined) expect(d.line).toBeGreaterThanOrEqual(1);
  }
}

/** Replace or delete the value at a random path of a plain object tree. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const index = head % entries.length;
  const key = entries[index]?.[0] ?? '0';
  const next = mutate(entries[index]?.[1], rest, replacement);
  if (Array.isArray(value)) return (value as unknown[]).map((item, i) => (i === index ? (next ?? null) : item));
  return Object.fromEntries(entries.flatMap(([k, v]) => (k !== key ? [[k, v]] : next === undefined ? [] : [[k, next]])));
}

describe('loadManifests never throws', () => {
  it('on arbitrary JSON-like documents dumped as YAML', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 3 }), async (docs) => {
      expectWellFormed(await loadOne(docs.map((d) => stringify(d)).join('---\n')));
    }), { numRuns: NUM_RUNS });
  });

  it('on mutated valid manifests', async () => {
    const replacement = fc.oneof(fc.constant(undefined), fc.jsonValue(), fc.string(), fc.constantFrom('5 minutes', '30s', '', 'qvmctl/v1', 'Host', '../../etc'));
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(20), { maxLength: 5 }), replacement, async (path, value) => {
      expectWellFormed(await loadOne(stringify(mutate(VALID_GUEST, path, value) ?? null)));
    }), { numRuns: NUM_RUNS });
  });

  it('on random bytes and random text', async () => {
    const content = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));
    await fc.assert(fc.asyncProperty(content, async (bytes) => {
      const result = await loadOne(bytes);
      expectWellFormed(result);
    }), { numRuns: NUM_RUNS });
  });

  it('accepts the unmutated manifest (so the mutations above start from a valid one)', async () => {
    const result = await loadOne(stringify(VALID_GUEST));
    expect(result.diagnostics).toEqual([]);
    expect(result.status).toBe('ok');
  });
});
