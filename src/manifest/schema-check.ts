// JSON Schema validation (ajv, all errors) with every error mapped to the YAML node it is about;
// the errors of one combination rule (a `oneOf`, a `not`) become one message (schema-rules.ts).
//
// The build compiles the schemas ahead of time into standalone validators
// (dist/manifest/schema-validators.cjs, by scripts/compile-schemas.mjs): loading them takes a few
// milliseconds, where compiling the schemas with ajv at start-up took most of a short command's
// run (docs/architecture.md, "Start-up"). They carry the digest of the schemas they were compiled
// from; when it is not that of schemas/ (a schema edited since the build) or there is no build,
// the schemas are compiled here, with the same options.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { isDurationOverLimit, MAX_DURATION_TEXT } from './duration.js';
import { describeValue, formatFieldPath, parsePointer } from './field-path.js';
import { ruleOf, type Rule } from './schema-rules.js';
import type { FieldPath, SourceDocument } from './source-document.js';

export type ManifestKind = 'Guest' | 'Host';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);
const SCHEMA_FILES = ['common.schema.json', 'guest.schema.json', 'host.schema.json', 'manifest.schema.json'] as const;
/** The schema each kind is checked against, by its key in ajv. */
export const KIND_SCHEMAS: Readonly<Record<ManifestKind, string>> = { Guest: 'guest.schema.json', Host: 'host.schema.json' };
// From the package root, so that the bundled CLI (dist/bin) finds it as the module itself does.
const PRECOMPILED = new URL('../../dist/manifest/schema-validators.cjs', import.meta.url);
const require = createRequire(import.meta.url);

const DURATION_DEF = '$defs/duration/';
/** What a failed pattern expects, by the `$defs` entry it belongs to. */
const PATTERN_HINTS: readonly (readonly [string, string])[] = [
  [DURATION_DEF, 'a duration like 30s (units ms, s, m, h)'],
  ['$defs/dnsLabel/', 'a lowercase DNS label (a-z, 0-9 and -, at most 63 characters)'],
  ['$defs/byteSize/', 'a size like 10M (bytes, or K, M, G)'],
  ['$defs/ramSize/', 'a size like 128M or 0x80000000,128M'],
  ['$defs/romRange/', 'an address and size like 0xfff00000,1M'],
  ['$defs/token/', 'a single token without whitespace'],
  ['/extraArgs/', 'one qvm argument per item (no whitespace, not starting with #)'],
  ['exitCodes/propertyNames', 'a user-defined exit code 32..63'],
  ['/start/', 'a time of day HH:MM'],
  ['/sched/', 'a priority like 10 or 10r'],
  ['/runmask/', 'host CPU numbers like 0,1'],
  ['/allow/', 'a bare executable name or an absolute path'],
  ['/simulator/', 'a knob value without whitespace or ='],
];

let validators: Readonly<Record<ManifestKind, ValidateFunction>> | undefined;

/** An ajv holding every manifest schema, with the options both the build and a run from source use. */
export function createSchemaAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new AjvClass({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, logger: false, ...extra });
  for (const [name, text] of readSchemas()) ajv.addSchema(JSON.parse(text) as object, name);
  return ajv;
}

function readSchemas(): [string, string][] {
  return SCHEMA_FILES.map((name) => [name, readFileSync(new URL(name, SCHEMA_DIR), 'utf8')]);
}

/** What the validators are compiled from: a digest of every schema file's name and text. */
export function schemaDigest(): string {
  const hash = createHash('sha256');
  for (const [name, text] of readSchemas()) hash.update(`${name}\0${text}\0`);
  return hash.digest('hex');
}

function getValidators(): Readonly<Record<ManifestKind, ValidateFunction>> {
  validators ??= loadPrecompiled() ?? compileNow();
  return validators;
}

function loadPrecompiled(): Readonly<Record<ManifestKind, ValidateFunction>> | undefined {
  let compiled: Partial<Record<ManifestKind, ValidateFunction>> & { readonly schemaDigest?: unknown };
  try {
    compiled = require(fileURLToPath(PRECOMPILED)) as typeof compiled;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  if (compiled.schemaDigest !== schemaDigest() || compiled.Guest === undefined || compiled.Host === undefined) return undefined;
  return { Guest: compiled.Guest, Host: compiled.Host };
}

function compileNow(): Readonly<Record<ManifestKind, ValidateFunction>> {
  const ajv = createSchemaAjv();
  const get = (name: string): ValidateFunction => {
    const validate = ajv.getSchema(name);
    if (validate === undefined) throw new Error(`schema ${name} did not compile`);
    return validate;
  };
  return { Guest: get(KIND_SCHEMAS.Guest), Host: get(KIND_SCHEMAS.Host) };
}

// Schema problems of one document (already known to be a mapping of the given kind).
export function checkSchema(doc: SourceDocument, kind: ManifestKind): Diagnostic[] {
  const validate = getValidators()[kind];
  if (validate(doc.data)) return [];
  const seen = new Set<string>();
  const rulesSeen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'propertyNames') continue; // the inner error already names the key
    const ruled = ruleOf(kind, error);
    if (ruled !== undefined && rulesSeen.has(ruled.key)) continue;
    if (ruled !== undefined) rulesSeen.add(ruled.key);
    const d = ruled === undefined ? toDiagnostic(doc, error) : ruleDiagnostic(doc, error, ruled.rule);
    if (d === undefined) continue;
    const id = `${d.line ?? 0}:${d.col ?? 0}:${d.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(d);
    }
  }
  return out;
}

// One diagnostic for every ajv error of a combination rule at one object (schema-rules.ts).
function ruleDiagnostic(doc: SourceDocument, error: ErrorObject, rule: Rule): Diagnostic | undefined {
  const base = parsePointer(error.instancePath);
  const data = base.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[key] : undefined), doc.data);
  const problem = rule.describe(typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}, base);
  if (problem === undefined) return undefined;
  const at = doc.locate(problem.path, problem.target);
  const field = formatFieldPath(problem.path);
  return { severity: 'error', code: problem.code, file: doc.file, line: at.line, col: at.col, ...(field === '' ? {} : { field }), message: problem.message };
}

function toDiagnostic(doc: SourceDocument, error: ErrorObject): Diagnostic {
  const base = parsePointer(error.instancePath);
  const { path, target, message } = describe(error, base);
  const at = doc.locate(path, target);
  const field = formatFieldPath(path);
  return { severity: 'error', code: 'schema', file: doc.file, line: at.line, col: at.col, ...(field === '' ? {} : { field }), message };
}

function describe(error: ErrorObject, base: FieldPath): { path: FieldPath; target: 'key' | 'value'; message: string } {
  const where = base.length === 0 ? 'at the top level' : `in ${formatFieldPath(base)}`;
  const got = describeValue(error.data);
  const params = error.params as Record<string, unknown>;
  const str = (key: string): string => String(params[key]);
  const propertyName = (error as { propertyName?: string }).propertyName;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: [...base, str('additionalProperty')], target: 'key', message: `unknown field \`${str('additionalProperty')}\` ${where}` };
    case 'required':
      return { path: base, target: 'value', message: `missing required field \`${str('missingProperty')}\` ${where}` };
    case 'dependentRequired':
      return { path: [...base, str('property')], target: 'key', message: `\`${str('missingProperty')}\` is required with \`${str('property')}\` ${where}` };
    case 'type':
      return { path: base, target: 'value', message: `expected ${typeWords(params['type'])}, got ${got}` };
    case 'enum':
      return { path: base, target: 'value', message: `expected one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}; got ${got}` };
    case 'const':
      return { path: base, target: 'value', message: `expected \`${str('allowedValue')}\`, got ${got}` };
    case 'pattern': {
      if (error.schemaPath.includes(DURATION_DEF) && isDurationOverLimit(error.data)) {
        return { path: base, target: 'value', message: `expected a duration of at most ${MAX_DURATION_TEXT}, the longest qvmctl can wait, got ${got}` };
      }
      const hint = PATTERN_HINTS.find(([key]) => error.schemaPath.includes(key))?.[1] ?? `text matching /${str('pattern')}/`;
      if (propertyName !== undefined) return { path: [...base, propertyName], target: 'key', message: `expected ${hint} as key ${where}, got \`${propertyName}\`` };
      return { path: base, target: 'value', message: `expected ${hint}, got ${got}` };
    }
    case 'maxLength':
      return { path: base, target: 'value', message: `must be at most ${str('limit')} characters long, got ${got}` };
    default:
      return { path: base, target: 'value', message: `${error.message ?? error.keyword}, got ${got}` };
  }
}

function typeWords(type: unknown): string {
  const words: Readonly<Record<string, string>> = { string: 'text', integer: 'a whole number', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'nothing' };
  const list = (Array.isArray(type) ? type : String(type).split(',')).map((t) => words[String(t)] ?? String(t));
  return list.length <= 1 ? (list[0] ?? 'a value') : `${list.slice(0, -1).join(', ')} or ${list.at(-1) ?? ''}`;
}
