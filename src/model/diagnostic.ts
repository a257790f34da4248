// Problems found in user input, collected and shown together (never thrown one at a time).

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `schema`, `yaml-syntax`, `duplicate-name`, `dependency-cycle`. */
  readonly code: string;
  /** Path of the file the problem is in, as given to the loader (relative to the cwd when possible). */
  readonly file: string;
  /** 1-based line and column of the offending YAML node; absent only when the file itself is the problem. */
  readonly line?: number;
  readonly col?: number;
  /** Dotted field path inside the document, e.g. `spec.shutdown.guestTimeout`. */
  readonly field?: string;
  readonly message: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:col: message`, the shape compilers use, so editors and terminals can jump to it. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.col ?? 1}`;
  const field = d.field === undefined ? '' : ` (${d.field})`;
  return `${where}: ${d.severity}: ${d.message}${field}`;
}
