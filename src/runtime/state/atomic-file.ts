// Atomic, durable file writes: write a temp file in the same directory, fsync, rename, fsync the dir.
// A reader sees either the old or the new content, never half of it, even after a crash.
import { randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { refuseSymlink } from './trust.js';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Opens never follow a symbolic link at the final name (docs/runtime.md, "Whose state directory"). */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const REWRITE = constants.O_RDWR | constants.O_NOFOLLOW;

// A directory that is a symbolic link is refused (StateDirTrustError): what is written in it
// would land wherever the link points.
export async function ensureDir(path: string): Promise<void> {
  await refuseSymlink(path);
  await mkdir(path, { recursive: true, mode: DIR_MODE });
}

/**
 * A new temp file beside `path` holding `data`, on disk (fsynced); the caller renames, links or
 * removes it. On failure nothing is left behind and the error names `path`.
 */
export async function writeTempBeside(path: string, data: string | Uint8Array, mode = FILE_MODE): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, CREATE_NEW, mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return tmp;
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw withPath(error, path);
  }
}

// On failure (a full or read-only disk) the temp file is removed and the error names the target.
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = FILE_MODE): Promise<void> {
  const tmp = await writeTempBeside(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw withPath(error, path);
  }
  await syncDir(dirname(path));
}

// Errors of a file handle's write or sync carry no path: name the file that was being written.
function withPath(error: unknown, path: string): unknown {
  if (typeof error === 'object' && error !== null && 'code' in error && !('path' in error)) {
    Object.assign(error, { path, syscall: 'write' });
  }
  return error;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, formatJson(value));
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** An atomic write whose space was taken in advance: `commit` needs no new space on disk. */
export interface ReservedWrite {
  commit(data: string): Promise<void>;
  abandon(): Promise<void>;
}

// Takes the temp file's space now (filled with newlines), so that a write that must not fail later
// (a qvm's identity, once qvm runs) cannot fail for a full disk; the content must fit `bytes`.
export async function reserveAtomicWrite(path: string, bytes = 4096, mode = FILE_MODE): Promise<ReservedWrite> {
  const dir = dirname(path);
  const tmp = await writeTempBeside(path, '\n'.repeat(bytes), mode);
  const abandon = (): Promise<void> => rm(tmp, { force: true }).catch(() => undefined);
  return {
    abandon,
    async commit(data) {
      try {
        if (Buffer.byteLength(data) > bytes) throw new RangeError(`Expected at most ${bytes} bytes for ${path}, got ${Buffer.byteLength(data)}`);
        const handle = await open(tmp, REWRITE);
        try {
          await handle.write(data, 0);
          await handle.truncate(Buffer.byteLength(data));
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, path);
      } catch (error) {
        await abandon();
        throw withPath(error, path);
      }
      await syncDir(dir);
    },
  };
}

// Makes a rename durable; some filesystems refuse to fsync a directory, which is not an error here.
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/**
 * The parsed JSON content, or undefined when the file does not exist or is not (yet) valid JSON.
 * Read synchronously: a state file is a few hundred bytes in the page cache, and an async readFile
 * is four thread-pool round trips (open, fstat, read, close), each waking a thread and the event
 * loop; an idle pass reads two per guest (docs/daemon.md, "Measured", CPU).
 */
export function readJsonFile(path: string): Promise<unknown> {
  try {
    return Promise.resolve(readJsonFileSync(path));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function readJsonFileSync(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isNotFound(error: unknown): boolean {
  return isErrno(error, 'ENOENT');
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** Durable content under a name that must not exist yet: false when another writer was first. */
export async function createExclusive(path: string, data: string): Promise<boolean> {
  const tmp = await writeTempBeside(path, data);
  try {
    await link(tmp, path);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await rm(tmp, { force: true });
  }
  await syncDir(dirname(path));
  return true;
}
