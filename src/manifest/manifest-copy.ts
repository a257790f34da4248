// Loading the manifests from a private copy of the manifest directory (a git commit) while every
// name stays the working tree's: diagnostics, sources and the `@file`s qvm is handed keep the
// paths a working-tree load gives, so a commit and an identical working tree load to the same
// desired state, config hashes included (docs/daemon.md, "Settled input").

import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { formatFieldPath } from './field-path.js';
import { hashConfig, type NormalizedGuest } from './normalize-guest.js';

/** A private, read-only copy of the checkout the manifest directory belongs to, at one commit. */
export interface ManifestCopy {
  /** Real path of the copy of the checkout (it mirrors the checkout from its top level). */
  readonly root: string;
  /** Real path of the checkout's top level. */
  readonly originalRoot: string;
  /** The commit it holds, for messages. */
  readonly commit: string;
  /**
   * Makes sure the copy holds the directory `path` of the checkout (a path in the checkout), and
   * returns where it is in the copy; a path outside the checkout comes back as it is.
   */
  include(path: string): Promise<string>;
}

/** The path in the checkout of a path in the copy, or undefined when it is outside the copy. */
export function pathInCheckout(copy: ManifestCopy, path: string): string | undefined {
  const rel = relative(copy.root, path);
  if (rel === '') return copy.originalRoot;
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return join(copy.originalRoot, rel);
}

/** A message that names a path of the copy names the checkout's instead. */
export function inCheckoutTerms(copy: ManifestCopy, d: Diagnostic): Diagnostic {
  const file = pathInCheckout(copy, d.file) ?? d.file;
  const message = d.message.split(copy.root).join(copy.originalRoot);
  return file === d.file && message === d.message ? d : { ...d, file, message };
}

/**
 * An `@file` among extraArgs is handed to qvm by path, and qvm reads it when it starts: the path is
 * the working tree's (as a working-tree load gives it), the hash is of the commit's bytes, and the
 * two must agree, or qvm would start on bytes the commit does not hold. A working-tree copy that
 * differs is an error on that item, so the commit is not acted on until they agree.
 */
export async function guestInCheckoutTerms(copy: ManifestCopy, copied: NormalizedGuest): Promise<{ guest: NormalizedGuest; diagnostics: Diagnostic[] }> {
  // qvm runs in the working tree's directory, never in the copy, which goes away.
  const copiedDir = copied.spec.workingDir;
  const workingDir = copiedDir === undefined ? undefined : pathInCheckout(copy, copiedDir);
  const guest = workingDir === undefined ? copied : { ...copied, spec: { ...copied.spec, workingDir } };
  const { spec, doc } = guest;
  if (!spec.extraArgs.some((a) => a.startsWith('@') && pathInCheckout(copy, a.slice(1)) !== undefined)) return { guest, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const extraArgs: string[] = [];
  const included: string[] = [];
  for (const [index, arg] of spec.extraArgs.entries()) {
    if (!arg.startsWith('@')) {
      extraArgs.push(arg);
      continue;
    }
    const copied = arg.slice(1);
    const text = await readFile(copied, 'utf8');
    included.push(text);
    const original = pathInCheckout(copy, copied);
    if (original === undefined) {
      extraArgs.push(arg);
      continue;
    }
    extraArgs.push(`@${original}`);
    const worktree = await readFile(original, 'utf8').catch(() => undefined);
    if (worktree !== text) {
      // extraArgs are kept one for one with the manifest's items.
      const path = ['spec', 'qvm', 'extraArgs', index];
      diagnostics.push({
        severity: 'error',
        code: 'extra-args-uncommitted',
        file: doc.file,
        ...doc.locate(path),
        field: formatFieldPath(path),
        message: `${original} ${worktree === undefined ? 'is missing from' : 'differs in'} the working tree from commit ${copy.commit.slice(0, 12)}: qvm reads it itself when it starts, so this commit is acted on only once they agree (commit or restore the file)`,
      });
    }
  }
  return { guest: { ...guest, spec: { ...spec, extraArgs, configHash: hashConfig(spec.qvmconf, extraArgs, included) } }, diagnostics };
}
