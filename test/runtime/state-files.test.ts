// The files qvmctl reads back are checked against schemas/files/ with ajv; a file that fails is
// read as before (no holder, no identity, no exit, an empty history, a fence of unknown reason).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addFileSchemas, createFileAjv, FILE_SCHEMAS, fileSchemaDigest, isValidFile, type FileKind } from '../../src/runtime/file-schemas.js';
import { parseMonitorExit } from '../../src/runtime/state/exit-records.js';
import { emptyHistory } from '../../src/model/observed.js';
import { parseHistory } from '../../src/runtime/state/history.js';
import { parseFence, parseOrphans } from '../../src/runtime/state/host-state.js';
import { parseIdentity } from '../../src/runtime/state/identity.js';
import { readHolder } from '../../src/runtime/state/lock.js';

const identity = { name: 'g', runId: 'r1', pid: 42, processStart: '100', configHash: 'h', confPath: '/s/g.qvmconf', startedAt: 5, consoleOffset: 7, readyAt: 9 };

describe('state files read back', () => {
  it('an identity needs what adoption verifies; other fields default', () => {
    expect(parseIdentity('g', identity)).toEqual(identity);
    expect(parseIdentity('other', { ...identity, configHash: 3, startedAt: 'x', readyAt: null })).toEqual({ ...identity, name: 'other', configHash: '', startedAt: 0, readyAt: undefined });
    for (const bad of [undefined, null, 3, [], { ...identity, pid: '42' }, { ...identity, confPath: undefined }, { ...identity, runId: 1 }]) expect(parseIdentity('g', bad)).toBeUndefined();
  });

  it('an exit record needs run, pid and status', () => {
    const raw = { runId: 'r1', pid: 42, status: 0, startedAt: 1, at: 2, requested: true };
    expect(parseMonitorExit(raw)).toEqual(raw);
    expect(parseMonitorExit({ runId: 'r1', pid: 42, status: 143, requested: 'yes', unrecorded: 'other' })).toEqual({ runId: 'r1', pid: 42, status: 143, startedAt: 0, at: 0, requested: false });
    expect(parseMonitorExit({ ...raw, status: -1, unrecorded: 'host-down' })?.unrecorded).toBe('host-down');
    for (const bad of [null, 'x', { ...raw, status: '0' }, { pid: 1, status: 0 }]) expect(parseMonitorExit(bad)).toBeUndefined();
  });

  it('a history that is not an object is empty; its lists keep items of their type', () => {
    expect(parseHistory('g', null)).toEqual(emptyHistory('g'));
    expect(parseHistory('g', [1, 2])).toEqual(emptyHistory('g'));
    expect(parseHistory('g', { name: 'x', failures: [1, 'a', 2], restarts: 3, foldedRuns: ['r', 4] })).toEqual({ ...emptyHistory('g'), failures: [1, 2], restarts: 3, foldedRuns: ['r'] });
  });

  it('a fence that cannot be read is still a fence', () => {
    expect(parseFence('{"since":5,"reason":"host shutdown"}')).toEqual({ since: 5, reason: 'host shutdown' });
    expect(parseFence('{"since":"5"}')).toEqual({ since: 0, reason: 'unknown' });
    expect(parseFence('[1]')).toEqual({ since: 0, reason: 'unknown' });
    expect(parseFence('null')).toEqual({ since: 0, reason: 'unreadable fence file' });
    expect(parseFence('{"since":')).toEqual({ since: 0, reason: 'unreadable fence file' });
  });

  it('orphans keep entries that are numbers', () => {
    expect([...parseOrphans({ a: 1, b: 'x' })]).toEqual([['a', 1]]);
    expect(parseOrphans('x').size).toBe(0);
    expect(parseOrphans(null).size).toBe(0);
  });

  it('a lock holder needs pid and process start; a half-written lock has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qvmctl-lock-'));
    try {
      const path = join(dir, 'x.lock');
      await writeFile(path, '{"pid":42,"processStart":"100","extra":1}');
      expect(await readHolder(path)).toEqual({ pid: 42, processStart: '100' });
      for (const text of ['{"pid":42', '{"pid":"42","processStart":"100"}', '{"pid":42}', 'null', '']) {
        await writeFile(path, text);
        expect(await readHolder(path)).toBeUndefined();
      }
      expect(await readHolder(join(dir, 'missing.lock'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('precompiled file validators (dist/runtime/file-validators.cjs)', () => {
  const require = createRequire(import.meta.url);
  const precompiled = require('../../dist/runtime/file-validators.cjs') as Record<FileKind, (value: unknown) => boolean> & { schemaDigest: string };
  const samples: unknown[] = [null, 1, 'x', [], {}, identity, { pid: 1, processStart: 'p' }, { runId: 'r', pid: 1, status: 0 }, { format: 'qvmctl-plan/v1' }];

  it('are those of schemas/files/ as they are now (run `npm run build` after a change)', () => {
    expect(precompiled.schemaDigest).toBe(fileSchemaDigest());
  });

  it('judge like the schemas compiled at run time', () => {
    const ajv = addFileSchemas(createFileAjv());
    for (const kind of Object.keys(FILE_SCHEMAS) as FileKind[]) {
      for (const sample of samples) {
        expect(precompiled[kind](sample), `${kind} ${JSON.stringify(sample)}`).toBe(ajv.validate(kind, sample));
        expect(isValidFile(kind, sample)).toBe(ajv.validate(kind, sample));
      }
    }
  });
});
