// File locks for the state directory: created with O_EXCL, holding the holder's PID and process
// start time. A lock whose holder no longer runs (or whose PID was reused) is stale and is broken,
// under a short-lived break mutex so that two processes cannot both break and both take it.
import { mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { LockBusyError } from '../errors.js';
import { isValidFile } from '../file-schemas.js';
import type { ProcessTable } from '../proc-table/types.js';
import { isSameProcess } from '../proc-table/types.js';
import { FILE_MODE, isErrno, isNotFound } from './atomic-file.js';

export interface LockHolder {
  readonly pid: number;
  readonly processStart: string;
}

export interface LockHandle {
  readonly path: string;
  release(): Promise<void>;
  /**
   * Still ours? A lock file that is gone (its directory deleted and made again, say) is taken
   * again; false when another live process holds it now.
   */
  renew(): Promise<boolean>;
}

export interface AcquireLockOptions {
  readonly path: string;
  readonly table: ProcessTable;
  /** 0 = try once. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /**
   * fsync the lock file when taken. A lock that only keeps live processes apart needs none: after a
   * power cut its holder is gone, so the file, whole, half-written or empty, is stale and broken.
   * @default true
   */
  readonly durable?: boolean;
}

/** A break mutex older than this belongs to a process that died while breaking a lock. */
const BREAK_STALE_MS = 10_000;
/** A lock file that is not valid JSON after this long was left half-written by a dead process. */
const PARTIAL_STALE_MS = 5_000;

export async function ownLockHolder(table: ProcessTable): Promise<LockHolder> {
  const self = await table.get(process.pid);
  if (self === undefined) throw new Error(`Cannot read this process (pid ${process.pid}) from the process table`);
  return { pid: process.pid, processStart: self.start };
}

export async function acquireLock(options: AcquireLockOptions): Promise<LockHandle> {
  const { path, table, timeoutMs, pollMs = 25, durable = true } = options;
  const me = await ownLockHolder(table);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryCreate(path, me, durable)) return { path, release: () => releaseLock(path, me), renew: () => renewLock(path, me, table, durable) };
    const holder = await readHolder(path);
    if (await isStale(path, holder, table)) {
      await breakStale(path, table);
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(path, holder?.pid);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function tryCreate(path: string, me: LockHolder, durable: boolean): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', FILE_MODE);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(me));
    if (durable) await handle.sync();
  } catch (error) {
    // A lock we could not fill in (a full disk) must not stay behind, empty, in the way.
    await handle.close();
    await unlink(path).catch(() => undefined);
    if (error instanceof Error && !('path' in error)) Object.assign(error, { path });
    throw error;
  }
  await handle.close();
  return true;
}

async function renewLock(path: string, me: LockHolder, table: ProcessTable, durable: boolean): Promise<boolean> {
  for (let tries = 0; tries < 3; tries += 1) {
    const holder = await readHolder(path);
    if (holder?.pid === me.pid && holder.processStart === me.processStart) return true;
    if (holder === undefined && (await tryCreate(path, me, durable))) return true;
    if (!(await isStale(path, holder, table))) return false;
    await breakStale(path, table);
  }
  return false;
}

// Removes the lock only while it is still ours.
async function releaseLock(path: string, me: LockHolder): Promise<void> {
  const holder = await readHolder(path);
  if (holder?.pid === me.pid && holder.processStart === me.processStart) await unlink(path).catch(() => undefined);
}

export async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (isValidFile('lock', value)) {
      const holder = value as LockHolder;
      return { pid: holder.pid, processStart: holder.processStart };
    }
  } catch {
    // missing or half-written
  }
  return undefined;
}

async function isStale(path: string, holder: LockHolder | undefined, table: ProcessTable): Promise<boolean> {
  if (holder !== undefined) return !(await isSameProcess(table, holder.pid, holder.processStart));
  try {
    return Date.now() - (await stat(path)).mtimeMs > PARTIAL_STALE_MS;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function breakStale(path: string, table: ProcessTable): Promise<void> {
  const mutex = `${path}.break`;
  try {
    await mkdir(mutex, { mode: 0o700 });
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    const age = await stat(mutex).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > BREAK_STALE_MS) await rmdir(mutex).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return;
  }
  try {
    // Re-check under the mutex: someone may have broken it and taken it meanwhile.
    if (await isStale(path, await readHolder(path), table)) await unlink(path).catch(() => undefined);
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}
