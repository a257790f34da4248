// Files a manifest names (`configFile`, an `@file` among `extraArgs`): read only from the manifest
// directory or a Host `configRoots` entry, and only regular files of bounded size (docs/manifests.md).

import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { isInside } from '../model/paths.js';
import { formatFieldPath } from './field-path.js';
import { MAX_INPUT_BYTES } from './limits.js';
import type { FieldPath, SourceDocument } from './source-document.js';

export interface AllowedFileOptions {
  readonly doc: SourceDocument;
  /** Absolute path of the manifest file: relative names resolve against its directory. */
  readonly manifestPath: string;
  /** Real paths of the directories such a file may live in. */
  readonly allowedRoots: readonly string[];
}

/** A file a manifest names (`configFile`, an `@file` in `extraArgs`), read only when it is allowed. */
export interface AllowedFile {
  /** Its real path (symlinks followed), inside an allowed root. */
  readonly real: string;
  /** The path as the manifest wrote it, joined to the manifest's directory, for messages. */
  readonly display: string;
  readonly text: string;
}

// It must resolve inside the manifest directory or a Host configRoots entry and be a regular file of
// at most 1 MiB: a manifest cannot make qvmctl (or qvm) read any other file (docs/manifests.md).
export async function readAllowedFile(options: AllowedFileOptions, file: string, path: FieldPath): Promise<AllowedFile | { diagnostic: Diagnostic }> {
  const { doc } = options;
  const display = isAbsolute(file) ? file : join(dirname(doc.file), file);
  const refuse = (code: string, message: string): { diagnostic: Diagnostic } => ({
    diagnostic: { severity: 'error', code, file: doc.file, ...doc.locate(path), field: formatFieldPath(path), message },
  });
  let real: string;
  try {
    real = await realpath(resolve(dirname(options.manifestPath), file));
  } catch {
    return refuse('config-file-missing', `config file \`${display}\` does not exist`);
  }
  if (!options.allowedRoots.some((root) => isInside(real, root))) {
    return refuse('config-file-outside', `config file \`${file}\` resolves to ${real}, outside the manifest directory and Host configRoots`);
  }
  const info = await stat(real).catch(() => undefined);
  if (info === undefined) return refuse('config-file-missing', `config file \`${display}\` does not exist`);
  if (!info.isFile()) return refuse('config-file-not-file', `config file \`${display}\` is not a regular file; not read`);
  if (info.size > MAX_INPUT_BYTES) return refuse('config-file-too-large', `config file \`${display}\` has ${info.size} bytes, more than ${MAX_INPUT_BYTES}; not read`);
  try {
    return { real, display, text: await readFile(real, 'utf8') };
  } catch (error) {
    return refuse('config-file-unreadable', `cannot read config file \`${display}\`: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
