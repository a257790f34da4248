// The schema–type drift test: src/manifest/manifest-types.ts must be what scripts/schema-types.mjs
// generates from schemas/ (docs/architecture.md, "One definition of the manifest format").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Schemas = Map<string, Record<string, unknown>>;
interface Generator { readonly renderManifestTypes: (files?: Schemas) => string }

const ROOT = new URL('../../', import.meta.url);
const GENERATOR = new URL('scripts/schema-types.mjs', ROOT).href;
const load = async (): Promise<Generator> => (await import(GENERATOR)) as Generator;
const schema = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`schemas/${name}`, ROOT), 'utf8')) as Record<string, unknown>;

describe('manifest input types', () => {
  it('are the types the schemas give (run `node scripts/schema-types.mjs` after a schema change)', async () => {
    const { renderManifestTypes } = await load();
    expect(readFileSync(new URL('src/manifest/manifest-types.ts', ROOT), 'utf8')).toBe(renderManifestTypes());
  });

  it('follow a schema change, so a schema edited without regenerating fails the test above', async () => {
    const { renderManifestTypes } = await load();
    const guest = schema('guest.schema.json');
    const files: Schemas = new Map([['common.schema.json', schema('common.schema.json')], ['guest.schema.json', guest], ['host.schema.json', schema('host.schema.json')]]);
    expect(renderManifestTypes(files)).toContain('  readonly spec: {');
    guest['required'] = ['apiVersion', 'kind', 'metadata'];
    expect(renderManifestTypes(files)).toContain('  readonly spec?: {');
  });
});
