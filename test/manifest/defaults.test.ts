// Defaults in one place: src/manifest/defaults.ts is the source; the schemas' `default`s and the
// table of docs/manifests.md ("Defaults") must say the same (docs/architecture.md, "One definition
// of the manifest format").
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GUEST_SPEC_DEFAULTS, HOST_CONSOLE_LOG, HOST_RUN_HISTORY, HOST_SPEC_DEFAULTS, MODEL_DEFAULTS } from '../../src/manifest/defaults.js';

type Json = Record<string, unknown>;
const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');
const schemas = new Map(['common', 'guest', 'host'].map((n) => [`${n}.schema.json`, JSON.parse(read(`schemas/${n}.schema.json`)) as Json]));

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema node, with `$ref`s followed (keeping the referring node's own `default`). */
function deref(node: Json, file: string): { node: Json; file: string } {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return { node, file };
  const [target = '', pointer = ''] = ref.split('#');
  const to = target === '' ? file : target;
  const resolved = pointer.split('/').slice(1).reduce<unknown>((n, part) => (isObject(n) ? n[part] : undefined), schemas.get(to));
  if (!isObject(resolved)) throw new Error(`${file}: ${ref} resolves to nothing`);
  const inner = deref(resolved, to);
  return { node: { ...inner.node, ...('default' in node ? { default: node['default'] } : {}) }, file: inner.file };
}

/** Every `default` under a schema node, by field path. */
function schemaDefaults(node: Json, file: string, path: string[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  const { node: n, file: f } = deref(node, file);
  if ('default' in n) out.set(path.join('.'), n['default']);
  const props = n['properties'];
  if (isObject(props)) for (const [key, child] of Object.entries(props)) if (isObject(child)) schemaDefaults(child, f, [...path, key], out);
  return out;
}

/** Leaves of a written defaults table, by field path. */
function leaves(value: unknown, path: string[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  if (isObject(value)) for (const [key, child] of Object.entries(value)) leaves(child, [...path, key], out);
  else out.set(path.join('.'), value);
  return out;
}

const specOf = (file: string): Json => ((schemas.get(file)?.['properties'] as Json)['spec']) as Json;
const KINDS = [
  { kind: 'Guest', file: 'guest.schema.json', written: GUEST_SPEC_DEFAULTS, docsField: (path: string): string => `spec.${path}` },
  { kind: 'Host', file: 'host.schema.json', written: HOST_SPEC_DEFAULTS, docsField: (path: string): string => `Host ${path}` },
] as const;

// The rows of the Defaults table: field (its first code span, `Host ` kept) → default cell.
function docsRows(): Map<string, string> {
  const text = read('docs/manifests.md');
  const section = text.slice(text.indexOf('\n## Defaults\n'), text.indexOf('\n## ', text.indexOf('\n## Defaults\n') + 1));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = /^\| (Host )?`([^`]+)`[^|]*\| (.*) \|$/.exec(line);
    if (cells !== null) rows.set(`${cells[1] ?? ''}${cells[2] ?? ''}`, cells[3] ?? '');
  }
  return rows;
}

const asDocs = (value: unknown): string => (Array.isArray(value) ? `[${value.map(String).join(', ')}]` : String(value));

describe('manifest defaults', () => {
  for (const { kind, file, written, docsField } of KINDS) {
    it(`of a ${kind} are the schema's \`default\`s, every one`, () => {
      const inSchema = schemaDefaults(specOf(file), file);
      const inCode = leaves(written);
      const differ = [...new Set([...inSchema.keys(), ...inCode.keys()])]
        .filter((path) => !isDeepStrictEqual(inSchema.get(path), inCode.get(path)))
        .map((path) => `spec.${path}: schema ${JSON.stringify(inSchema.get(path))}, defaults.ts ${JSON.stringify(inCode.get(path))}`);
      expect(differ).toEqual([]);
    });

    it(`of a ${kind} are those of the table in docs/manifests.md`, () => {
      const rows = docsRows();
      const missing = [...leaves(written)].flatMap(([path, value]) => {
        const parts = path.split('.');
        const own = rows.get(docsField(path));
        const parent = rows.get(docsField(parts.slice(0, -1).join('.')));
        const empty = Array.isArray(value) && value.length === 0;
        if (own !== undefined && (empty ? own.startsWith('none') : own.includes(`\`${asDocs(value)}\``))) return [];
        if (parent !== undefined && parent.includes(`${parts.at(-1) ?? ''}: ${asDocs(value)}`)) return [];
        return [`${docsField(path)}: ${asDocs(value)}`];
      });
      expect(missing).toEqual([]);
    });
  }

  it('of the runtime (model/host-spec.ts) are those of the manifest', () => {
    expect(MODEL_DEFAULTS.consoleLog).toEqual(HOST_CONSOLE_LOG);
    expect(MODEL_DEFAULTS.history).toEqual(HOST_RUN_HISTORY);
  });
});
