// What a YAML document is: a Guest, a Host, or not a manifest at all; then its schema check.

import type { Diagnostic } from '../model/diagnostic.js';
import { describeValue } from './field-path.js';
import { checkSchema, type ManifestKind } from './schema-check.js';
import type { SourceDocument } from './source-document.js';

export interface Classified {
  readonly kind: ManifestKind | undefined;
  /** The guest name, when the document names one (even if it is otherwise invalid). */
  readonly name: string | undefined;
  /** Passed the schema (and is a known kind). */
  readonly valid: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

const API_VERSION = 'qvmctl/v1';

export function classifyDocument(doc: SourceDocument): Classified {
  const problem = (path: readonly string[], code: string, message: string): Classified => ({
    kind: undefined, name: undefined, valid: false,
    diagnostics: [{ severity: 'error', code, file: doc.file, ...doc.locate(path), ...(path.length > 0 ? { field: path.join('.') } : {}), message }],
  });
  const data = doc.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return problem([], 'not-a-manifest', `expected a manifest (a mapping with apiVersion, kind, metadata, spec), got ${describeValue(data)}`);
  }
  const record = data as Record<string, unknown>;
  if (record['apiVersion'] !== API_VERSION) {
    return problem(record['apiVersion'] === undefined ? [] : ['apiVersion'], 'api-version', record['apiVersion'] === undefined
      ? `missing \`apiVersion: ${API_VERSION}\``
      : `unknown apiVersion ${describeValue(record['apiVersion'])}; expected \`${API_VERSION}\``);
  }
  const kind = record['kind'];
  if (kind !== 'Guest' && kind !== 'Host') {
    return problem(kind === undefined ? [] : ['kind'], 'kind', kind === undefined ? 'missing `kind` (Guest or Host)' : `unknown kind ${describeValue(kind)}; expected Guest or Host`);
  }
  const metadata = record['metadata'];
  const rawName = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['name'] : undefined;
  const name = kind === 'Guest' && typeof rawName === 'string' ? rawName : undefined;
  const diagnostics = checkSchema(doc, kind);
  return { kind, name, valid: diagnostics.length === 0, diagnostics };
}
