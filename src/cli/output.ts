// Where the CLI writes: injected so commands stay testable and nothing else touches the console.
// With `-o json` (docs/cli.md, "JSON output"): stdout is one result document; everything on stderr
// is one JSON object per line (diagnostics, notes, progress, the error), so scripts can read both.

import type { Diagnostic } from '../model/diagnostic.js';
import { formatDiagnostic } from '../model/diagnostic.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The exit code a command chose; commander actions cannot return one. */
export interface CommandResult {
  exitCode: number;
}

/** The version of every JSON document qvmctl prints (like a Kubernetes `apiVersion`). */
export const API_VERSION = 'qvmctl/v1';

/** Every `kind` qvmctl prints; `schemas/output/<kind>.schema.json` describes each. */
export type DocumentKind =
  | 'ValidationReport' | 'GuestConfig' | 'Plan' | 'ApplyResult' | 'Status' | 'Graph' | 'EventList'
  | 'GuestExplanation' | 'Fence' | 'ShutdownPlan' | 'ShutdownResult' | 'Bundle' | 'ReleaseResult'
  | 'ReleaseStatus' | 'Error' | 'Diagnostic' | 'Message';

/** A document: `apiVersion` and `kind` first, then the body. */
export function toDocument(kind: DocumentKind, body: object): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind, ...body };
}

/** What commands write through: text for people, or documents with `-o json`. */
export interface CliOutput extends Output {
  /** `-o json` was asked for. */
  readonly json: boolean;
  /** The result document on stdout (pretty-printed). */
  document(kind: DocumentKind, body: object): void;
  /** A document on stderr, on one line (the Error, with `-o json`). */
  errDocument(kind: DocumentKind, body: object): void;
  /** A manifest problem on stderr: `file:line:col: …` as text, a Diagnostic line as JSON. */
  diagnostic(d: Diagnostic): void;
}

/**
 * The writer of one CLI run. `json()` is asked at each write (the format is known only once the
 * command line is parsed); in JSON mode a text line written to stderr becomes a Message document.
 */
export function createCliOutput(base: Output, json: () => boolean): CliOutput {
  const errJson = (kind: DocumentKind, body: object): void => { base.err(`${JSON.stringify(toDocument(kind, body))}\n`); };
  return {
    get json() { return json(); },
    out: (text) => { base.out(text); },
    err: (text) => {
      if (!json()) {
        base.err(text);
        return;
      }
      for (const line of text.split('\n')) {
        const message = line.replace(/^qvmctl: /, '').trimEnd();
        if (message !== '') errJson('Message', { message });
      }
    },
    errDocument: errJson,
    document: (kind, body) => { base.out(`${JSON.stringify(toDocument(kind, body), null, 2)}\n`); },
    diagnostic: (d) => {
      if (json()) errJson('Diagnostic', diagnosticJson(d));
      else base.err(`${formatDiagnostic(d)}\n`);
    },
  };
}

/** A diagnostic with every field present (`null` where there is none). */
export function diagnosticJson(d: Diagnostic): Record<string, unknown> {
  return { severity: d.severity, code: d.code, file: d.file, line: d.line ?? null, col: d.col ?? null, field: d.field ?? null, message: d.message };
}
