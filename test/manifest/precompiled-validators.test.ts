// The build's standalone validators (dist/manifest/schema-validators.cjs) are the schemas compiled
// ahead of time: they carry the digest of schemas/ and judge every document as ajv compiling the
// schemas at run time does.
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createSchemaAjv, KIND_SCHEMAS, schemaDigest, type ManifestKind } from '../../src/manifest/schema-check.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const precompiled = createRequire(import.meta.url)(join(ROOT, 'dist', 'manifest', 'schema-validators.cjs')) as Record<ManifestKind, ValidateFunction> & { schemaDigest: string };

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

const errorsOf = (validate: ValidateFunction, data: unknown): unknown[] => {
  validate(data);
  return (validate.errors ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, schemaPath: e.schemaPath, params: e.params }));
};

describe('the precompiled manifest validators', () => {
  it('are compiled from the schemas in schemas/', () => {
    expect(precompiled.schemaDigest).toBe(schemaDigest());
  });

  it('judge the example fleet and the broken fixtures as the schemas compiled at run time do', async () => {
    const ajv = createSchemaAjv();
    const files = [...(await yamlFiles(join(ROOT, 'manifests'))), ...(await yamlFiles(join(ROOT, 'test', 'fixtures', 'broken')))];
    let documents = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        if (!('toJS' in doc)) continue;
        const data: unknown = doc.toJS();
        for (const kind of ['Guest', 'Host'] as const) {
          const fresh = ajv.getSchema(KIND_SCHEMAS[kind]);
          if (fresh === undefined) throw new Error(`no schema for ${kind}`);
          expect(errorsOf(precompiled[kind], data), `${file} as a ${kind}`).toEqual(errorsOf(fresh, data));
        }
        documents++;
      }
    }
    expect(documents).toBeGreaterThan(10);
  });
});
