// Follows a console log that another process appends to: the lines added since an offset, read only
// when the file changed. A file-system watch (inotify on Linux) says when; a slow re-read covers
// file systems whose watches miss writes. Waiting readiness checks cost nothing while a guest boots,
// and the line that makes a guest ready is seen as soon as qvm writes it.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

export interface LogFollower {
  /** Complete lines appended since the last call (or the start offset). */
  next(): Promise<string[]>;
  /** Everything appended since the last call, partial lines included (use one of next and nextText). */
  nextText(): Promise<string>;
  /** Resolves at the next change of the file, after `ms`, or on abort, whichever is first. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface FollowLogOptions {
  readonly path: string;
  /**
   * Where to begin in the file. Negative: that many bytes before the end of `<path>.1`, the
   * generation rotated last (docs/runtime.md, "Console logs"), then the file from its start.
   */
  readonly offset: number;
  /** Re-read at least this often even without a change event. */
  readonly rereadMs: number;
}

// A rotation is seen by inode: console.log renamed away (a new file under the name) or console.log.1
// replaced while console.log was truncated in place (copy and truncate). Either way what the follower
// had not read yet is in console.log.1, from where it was.
export function followLog(options: FollowLogOptions): LogFollower {
  const rotated = `${options.path}.1`;
  let position = options.offset;
  let partial = '';
  let handle: FileHandle | undefined;
  let inode: number | undefined;
  let rotatedInode: number | undefined;
  let started = false;
  let changed = true;
  let lastRead = 0;
  let wake: (() => void) | undefined;
  let watching = false;
  let watcher: FSWatcher | undefined;
  const rewatch = (): void => {
    watcher?.close();
    watcher = watchQuietly(options.path, {
      onChange: () => {
        changed = true;
        wake?.();
      },
      onError: () => {
        watching = false;
      },
    });
    watching = watcher !== undefined;
  };
  rewatch();

  const drain = async (file: FileHandle, from: number): Promise<{ bytes: Buffer; end: number }> => {
    const chunks: Buffer[] = [];
    let at = from;
    for (;;) {
      const { bytesRead, buffer } = await file.read({ buffer: Buffer.alloc(16_384), position: at });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return { bytes: Buffer.concat(chunks), end: at };
  };
  const readRotatedFrom = async (from: number): Promise<Buffer> => {
    const file = await open(rotated, 'r').catch(() => undefined);
    if (file === undefined) return Buffer.alloc(0);
    try {
      const size = (await file.stat()).size;
      return (await drain(file, from < 0 ? Math.max(0, size + from) : Math.min(from, size))).bytes;
    } finally {
      await file.close();
    }
  };
  const inodeOf = (path: string): Promise<number | undefined> => stat(path).then((s) => s.ino, () => undefined);

  const readAppended = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    if (!started) {
      started = true;
      rotatedInode = await inodeOf(rotated);
      if (position < 0) {
        chunks.push(await readRotatedFrom(position));
        position = 0;
      }
    }
    if (handle === undefined) {
      handle = await open(options.path, 'r').catch(() => undefined);
      inode = handle === undefined ? undefined : (await handle.stat()).ino;
    }
    if (handle !== undefined) {
      // Looked at before reading: a file truncated and written again must not be read from the old offset.
      const [nowInode, nowRotated, size] = await Promise.all([inodeOf(options.path), inodeOf(rotated), handle.stat().then((s) => s.size)]);
      if (nowInode !== undefined && nowInode !== inode) {
        // Renamed away and a new console.log begun: the old one is read to its end first.
        chunks.push((await drain(handle, position)).bytes);
        await handle.close();
        handle = await open(options.path, 'r').catch(() => undefined);
        inode = handle === undefined ? undefined : (await handle.stat()).ino;
        position = 0;
        rewatch();
      } else if (nowInode === inode && ((nowRotated !== undefined && nowRotated !== rotatedInode) || size < position)) {
        // Copied to console.log.1 and truncated: the rest of what was being read is there.
        chunks.push(await readRotatedFrom(position));
        position = 0;
      }
      // While console.log is missing (renamed, its successor not begun) the old one is read on.
      if (nowInode !== undefined) rotatedInode = nowRotated;
      if (handle !== undefined) {
        const read = await drain(handle, position);
        chunks.push(read.bytes);
        position = read.end;
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const due = (): boolean => {
    // Without a working watch every call reads; with one, only after a change or a long quiet.
    if (watching && !changed && Date.now() - lastRead < options.rereadMs) return false;
    changed = false;
    lastRead = Date.now();
    return true;
  };

  return {
    async next() {
      if (!due()) return [];
      const text = await readAppended();
      if (text === '') return [];
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      return lines;
    },
    async nextText() {
      return due() ? readAppended() : '';
    },
    waitForChange(ms, signal) {
      if (changed || signal?.aborted === true) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        wake = done;
      });
    },
    async close() {
      watcher?.close();
      await handle?.close();
      handle = undefined;
    },
  };
}

function watchQuietly(path: string, on: { onChange(): void; onError(): void }): FSWatcher | undefined {
  try {
    const watcher = watch(path, { persistent: false }, () => {
      on.onChange();
    });
    watcher.on('error', () => {
      on.onError();
      watcher.close();
    });
    return watcher;
  } catch {
    return undefined;
  }
}
