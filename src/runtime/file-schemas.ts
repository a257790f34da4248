// The JSON files qvmctl reads back (state-directory files, saved plans) checked on read against
// schemas/files/ with ajv, each reader keeping what it does with a file that fails (docs/runtime.md,
// "The state directory").
//
// As for the manifest schemas (docs/architecture.md, "Start-up"), the build compiles these into
// standalone validators (dist/runtime/file-validators.cjs, by scripts/compile-schemas.mjs), stamped
// with a digest of schemas/files/. Nothing is loaded or compiled before the first file is read;
// without a build, or with a schema edited since, the one schema needed is compiled then.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';

/** Each file kind, by its name in the precompiled module, and its schema in schemas/files/. */
export const FILE_SCHEMAS = {
  lock: 'lock.schema.json',
  identity: 'identity.schema.json',
  exitRecord: 'exit-record.schema.json',
  history: 'history.schema.json',
  fence: 'fence.schema.json',
  orphans: 'orphans.schema.json',
  savedPlan: 'saved-plan.schema.json',
} as const;

export type FileKind = keyof typeof FILE_SCHEMAS;

// From the package root (this module and the bundled CLI, dist/bin, are both two levels below it).
const SCHEMA_DIR = new URL('../../schemas/files/', import.meta.url);
const PRECOMPILED = new URL('../../dist/runtime/file-validators.cjs', import.meta.url);
const require = createRequire(import.meta.url);

let precompiled: Partial<Record<FileKind, ValidateFunction>> | undefined;
const compiled = new Map<FileKind, ValidateFunction>();

/** An ajv for these schemas, with the options both the build and a run from source use. */
export function createFileAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  return new AjvClass({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true, logger: false, ...extra });
}

function readSchema(name: string): string {
  return readFileSync(new URL(name, SCHEMA_DIR), 'utf8');
}

/** What the validators are compiled from: a digest of every file schema's name and text. */
export function fileSchemaDigest(): string {
  const hash = createHash('sha256');
  for (const name of Object.values(FILE_SCHEMAS)) hash.update(`${name}\0${readSchema(name)}\0`);
  return hash.digest('hex');
}

/** Every file schema added to an ajv under its key (the build compiles them all). */
export function addFileSchemas(ajv: Ajv2020): Ajv2020 {
  for (const [kind, name] of Object.entries(FILE_SCHEMAS)) ajv.addSchema(JSON.parse(readSchema(name)) as object, kind);
  return ajv;
}

function loadPrecompiled(): Partial<Record<FileKind, ValidateFunction>> {
  let module: Partial<Record<FileKind, ValidateFunction>> & { readonly schemaDigest?: unknown };
  try {
    module = require(fileURLToPath(PRECOMPILED)) as typeof module;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return {};
    throw error;
  }
  return module.schemaDigest === fileSchemaDigest() ? module : {};
}

function validatorOf(kind: FileKind): ValidateFunction {
  precompiled ??= loadPrecompiled();
  const ready = precompiled[kind] ?? compiled.get(kind);
  if (ready !== undefined) return ready;
  const validate = createFileAjv().compile(JSON.parse(readSchema(FILE_SCHEMAS[kind])) as object);
  compiled.set(kind, validate);
  return validate;
}

/** The first problem of a value read from a file of that kind, or undefined when it passes. */
export function fileProblem(kind: FileKind, value: unknown): string | undefined {
  const validate = validatorOf(kind);
  if (validate(value)) return undefined;
  return describe(validate.errors?.[0]);
}

/** True when a value read from a file of that kind passes its schema. */
export function isValidFile(kind: FileKind, value: unknown): boolean {
  return validatorOf(kind)(value);
}

function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return 'does not match its schema';
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath === '' ? '' : `${error.instancePath.slice(1).replace(/\//g, '.')}: `;
  if (error.keyword === 'required') return `${at}missing ${String(params['missingProperty'])}`;
  return `${at}${error.message ?? error.keyword}`;
}
