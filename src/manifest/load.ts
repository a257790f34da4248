// Manifest directory → desired state, or every problem of every file at once. Never throws for bad input.

import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { hasErrors, type Diagnostic } from '../model/diagnostic.js';
import type { DesiredState, HostSpec } from '../model/host-spec.js';
import { compareNames } from '../model/order.js';
import { isInside } from '../model/paths.js';
import { checkAcrossGuests, type GuestRef } from './cross-checks.js';
import { classifyDocument } from './classify.js';
import type { GuestInput } from './manifest-types.js';
import { guestInCheckoutTerms, inCheckoutTerms, type ManifestCopy } from './manifest-copy.js';
import { normalizeGuest, type NormalizedGuest } from './normalize-guest.js';
import { MAX_INPUT_BYTES } from './limits.js';
import { normalizeHost } from './normalize-host.js';
import type { ParseCache } from './parse-cache.js';
import { parseYamlFile, type ParsedFile, type SourceDocument } from './source-document.js';

export interface LoadResult {
  /** `empty` (no manifest files) and `unreadable` (no directory) matter for prune safety. */
  readonly status: 'ok' | 'invalid' | 'empty' | 'unreadable';
  /** Only when status is `ok`. */
  readonly desired: DesiredState | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** Hash of all manifest inputs (YAML files and the .qvmconf files they use), for stale-plan detection. */
  readonly fingerprint: string;
  /** Manifest files read, as paths joined to `dir`. */
  readonly files: readonly string[];
  /** The file of the Host manifest, when there is one (absent Host = all defaults). */
  readonly hostFile: string | undefined;
  /**
   * Every file and directory the result was read from, as paths in the manifest directory: the
   * directory, each manifest, each `configFile` and `@file` and the directories holding them
   * (what must have settled before a daemon uses the result: docs/daemon.md, "Settled input").
   */
  readonly sources: readonly string[];
}

export interface LoadOptions {
  /** Directory of `*.yaml`/`*.yml` manifests (not recursive; dotfiles skipped; FIFOs, devices and symlinks out of it refused). */
  readonly dir: string;
  /** Override built-in Host defaults (fields a Host manifest sets still win). */
  readonly hostDefaults?: Partial<HostSpec>;
  /** Keeps parses between loads (the daemon): only files whose bytes changed are parsed again. */
  readonly parseCache?: ParseCache;
  /**
   * Read the bytes from this copy of the checkout (a git commit) instead of the working tree; every
   * name stays the working tree's (manifest-copy.ts).
   */
  readonly copy?: ManifestCopy;
  /**
   * Where the Host's relative local paths (stateDir, the ssh key and config) resolve, instead of
   * `dir`: a release's manifests, read from the copy its bundle was unpacked to (docs/fleet.md).
   */
  readonly hostBase?: string;
}

export async function loadManifests(options: LoadOptions): Promise<LoadResult> {
  const { dir, copy } = options;
  // Where the bytes come from: the directory itself, or its copy at a commit.
  const readDir = copy === undefined ? dir : await copiedDir(copy, dir);
  const readPath = (file: string): string => (copy === undefined ? file : join(readDir, relative(dir, file)));
  const named = (d: Diagnostic): Diagnostic => (copy === undefined ? d : inCheckoutTerms(copy, d));
  const listed = await listManifestFiles(readDir, dir, copy?.commit);
  if (listed.status !== 'ok') {
    return { status: listed.status, desired: undefined, diagnostics: [listed.diagnostic], fingerprint: createInputHash().digest(), files: [], hostFile: undefined, sources: [dir] };
  }
  const diagnostics: Diagnostic[] = [];
  const hash = createInputHash();
  const guestDocs: SourceDocument[] = [];
  const hostDocs: SourceDocument[] = [];
  const refs: GuestRef[] = [];
  // Listed, then read in name order and parsed one at a time: a directory of thousands of files
  // never holds every file's parse at once. A regular file is read synchronously (its bytes are
  // in the page cache; the thread pool would add four hand-offs per file), anything else
  // (a symbolic link, a special file, one too large) goes through the careful path.
  const realDir = await realpath(readDir).catch(() => resolve(readDir));
  const cache = options.parseCache;
  const readOne = async (file: string): Promise<FileRead> => {
    const path = readPath(file);
    const statAt = Date.now();
    const info = lstatQuiet(path);
    if (info?.isFile() === true && info.size <= BigInt(MAX_INPUT_BYTES)) {
      // A regular file (not a link) listed in the directory lies inside it: nothing to resolve. One
      // that has not changed since the last load is neither read nor parsed (parse-cache.ts).
      const known = cache?.unchanged(file, info);
      if (known !== undefined) return known;
      const bytes = readRegularFile(path, info);
      if (bytes instanceof Error) return bytes;
      if (bytes !== undefined) return cache === undefined ? { bytes } : { bytes, seen: { info, statAt } };
    }
    const refused = await checkManifestFile(path, realDir);
    if (refused !== undefined) return named({ ...refused, file });
    return readFile(path).then((bytes) => ({ bytes }), (error: unknown) => error as NodeJS.ErrnoException);
  };
  const contents = await mapInOrder(listed.files, FILES_AT_ONCE, readOne);
  for (const [i, file] of listed.files.entries()) {
    const read = contents[i];
    contents[i] = undefined;
    if (read === undefined) continue;
    if (read instanceof Error) {
      diagnostics.push({ severity: 'error', code: 'unreadable-file', file, message: `cannot read file: ${read.code ?? read.message}` });
      continue;
    }
    if ('severity' in read) {
      diagnostics.push(read);
      continue;
    }
    hash.update(file, read.bytes);
    const parsed = read.parsed ?? cache?.parse(file, read.bytes, read.seen) ?? parseYamlFile({ file, bytes: read.bytes });
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      const classified = classifyDocument(doc);
      diagnostics.push(...classified.diagnostics);
      if (classified.name !== undefined) refs.push({ name: classified.name, doc });
      if (classified.valid && classified.kind === 'Guest') guestDocs.push(doc);
      if (classified.valid && classified.kind === 'Host') hostDocs.push(doc);
    }
  }
  options.parseCache?.retainOnly(listed.files);
  diagnostics.push(...checkSingleHost(hostDocs));
  const { host, diagnostics: hostProblems } = normalizeHost({ doc: hostDocs[0], dir: options.hostBase ?? dir, ...(options.hostDefaults === undefined ? {} : { hostDefaults: options.hostDefaults }) });
  diagnostics.push(...hostProblems);
  // A configRoots entry inside the checkout is read at the commit too.
  const configRoots = copy === undefined ? (host.configRoots ?? []) : await Promise.all((host.configRoots ?? []).map((root) => copiedDir(copy, root)));
  const allowedRoots = await realRoots([resolve(readDir), ...configRoots]);
  const results = await mapInOrder(guestDocs, FILES_AT_ONCE, (doc) => normalizeGuest({ doc, manifestPath: resolve(readPath(doc.file)), host, allowedRoots }));
  const guests: NormalizedGuest[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    diagnostics.push(...r.diagnostics.map(named));
    if (r.guest === undefined) continue;
    if (copy === undefined) {
      guests.push(r.guest);
      continue;
    }
    const renamed = await guestInCheckoutTerms(copy, r.guest);
    guests.push(renamed.guest);
    diagnostics.push(...renamed.diagnostics);
  }
  for (const g of guests) for (const input of g.inputs) hash.add(input);
  diagnostics.push(...checkAcrossGuests({ refs, guests }));
  const sorted = sortDiagnostics(diagnostics);
  const fingerprint = hash.digest();
  const hostFile = hostDocs[0]?.file;
  const sources = sourcesOf(dir, listed.files, guestDocs, guests);
  if (hasErrors(sorted) || guests.length !== guestDocs.length) {
    return { status: 'invalid', desired: undefined, diagnostics: sorted, fingerprint, files: listed.files, hostFile, sources };
  }
  const ordered = [...guests].map((g) => g.spec).sort((a, b) => compareNames(a.name, b.name));
  return { status: 'ok', desired: { guests: ordered, host }, diagnostics: sorted, fingerprint, files: listed.files, hostFile, sources };
}

// Where the copy holds a directory of the checkout (by its real path); one outside the checkout is itself.
async function copiedDir(copy: ManifestCopy, dir: string): Promise<string> {
  return copy.include(await realpath(dir).catch(() => resolve(dir)));
}

// The directory, its manifests, and each configFile and @file (with the directories holding them).
function sourcesOf(dir: string, files: readonly string[], docs: readonly SourceDocument[], guests: readonly NormalizedGuest[]): string[] {
  const named = new Set<string>();
  for (const doc of docs) {
    const configFile = (doc.data as GuestInput).spec.qvm.configFile;
    if (typeof configFile === 'string') named.add(resolve(dirname(doc.file), configFile));
  }
  for (const g of guests) for (const arg of g.spec.extraArgs) if (arg.startsWith('@')) named.add(arg.slice(1));
  const dirs = new Set([dir, ...[...named].map((f) => dirname(f))]);
  return [...dirs, ...files, ...named];
}

/** One manifest file: refused, unreadable, or its bytes (with the parse when the cache had it). */
type FileRead = Diagnostic | NodeJS.ErrnoException | {
  readonly bytes: Uint8Array;
  readonly parsed?: ParsedFile;
  readonly seen?: { readonly info: BigIntStats; readonly statAt: number };
};

type Listing = { status: 'ok'; files: string[] } | { status: 'empty' | 'unreadable'; diagnostic: Diagnostic };

// Lists `readDir` and names what it finds in `dir` (they differ when reading a copy at `commit`).
async function listManifestFiles(readDir: string, dir: string, commit: string | undefined): Promise<Listing> {
  const atCommit = commit === undefined ? '' : ` at commit ${commit.slice(0, 12)} (only committed manifests are read)`;
  const empty: Listing = { status: 'empty', diagnostic: { severity: 'error', code: 'empty-directory', file: dir, message: `no manifests (*.yaml, *.yml) in this directory${atCommit}` } };
  try {
    const entries = await readdir(readDir, { withFileTypes: true });
    const files = entries
      .filter((e) => !e.isDirectory() && !e.name.startsWith('.') && /\.ya?ml$/.test(e.name))
      .map((e) => join(dir, e.name))
      .sort();
    return files.length > 0 ? { status: 'ok', files } : empty;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // A directory the commit does not hold has no committed manifests.
    if (commit !== undefined && code === 'ENOENT') return empty;
    return { status: 'unreadable', diagnostic: { severity: 'error', code: 'unreadable-directory', file: dir, message: `cannot read manifest directory (${code})` } };
  }
}

// A manifest is read only if it is a regular file of bounded size whose real path (symlinks
// followed) lies inside the manifest directory: a symlink cannot make qvmctl read /etc/shadow,
// and a FIFO or device cannot make it block or read forever.
async function checkManifestFile(file: string, realDir: string): Promise<Diagnostic | undefined> {
  const refuse = (code: string, message: string): Diagnostic => ({ severity: 'error', code, file, message });
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    return refuse('unreadable-file', `cannot read file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!isInside(real, realDir)) return refuse('manifest-outside', `resolves to ${real}, outside the manifest directory; not read`);
  const info = await stat(real);
  if (!info.isFile()) return refuse('manifest-not-file', 'not a regular file; not read');
  if (info.size > MAX_INPUT_BYTES) return refuse('manifest-too-large', `${info.size} bytes, more than the ${MAX_INPUT_BYTES} a manifest may have; not read`);
  return undefined;
}

function lstatQuiet(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * The bytes of the regular file `info` describes, opened without following a link; undefined when
 * the path is no longer that file (replaced by a link or anything else since the lstat), so the
 * careful path decides. Nothing but a regular file is ever opened.
 */
function readRegularFile(path: string, info: BigIntStats): Buffer | NodeJS.ErrnoException | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ELOOP' || code === 'ENOENT' ? undefined : (error as NodeJS.ErrnoException);
  }
  try {
    const now = fstatSync(fd, { bigint: true });
    if (!now.isFile() || now.ino !== info.ino || now.dev !== info.dev || now.size > BigInt(MAX_INPUT_BYTES)) return undefined;
    const bytes = Buffer.allocUnsafe(Number(now.size));
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } catch (error) {
    return error as NodeJS.ErrnoException;
  } finally {
    closeSync(fd);
  }
}

function checkSingleHost(hosts: readonly SourceDocument[]): Diagnostic[] {
  if (hosts.length < 2) return [];
  return hosts.map((doc) => {
    const others = hosts.filter((h) => h !== doc).map((h) => `${h.file}:${h.locate(['kind']).line}`).join(', ');
    return { severity: 'error', code: 'duplicate-host', file: doc.file, ...doc.locate(['kind']), message: `more than one Host manifest (also at ${others}); a directory has at most one` };
  });
}

async function realRoots(dirs: readonly string[]): Promise<string[]> {
  const roots = await Promise.all(dirs.map((d) => realpath(d).catch(() => undefined)));
  return roots.filter((r): r is string => r !== undefined);
}

/** Files read, and normalized guests begun, at a time. */
const FILES_AT_ONCE = 32;

/** `fn` over `items`, at most `limit` at a time; the results in the order of `items`. */
async function mapInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<(R | undefined)[]> {
  const results = new Array<R | undefined>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// The fingerprint of every input, each part length-prefixed; a file as its name and its bytes in base64.
function createInputHash(): { add(part: string): void; update(file: string, bytes: Uint8Array): void; digest(): string } {
  const hash = createHash('sha256');
  const add = (part: string): void => { hash.update(`${part.length}:${part}`); };
  return {
    add,
    update(file, bytes) {
      add(file);
      add(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
    },
    digest: () => hash.digest('hex'),
  };
}

function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => compareNames(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
