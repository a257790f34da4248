// Follows a console log that another process appends to: the lines added since an offset, read only
// when the file changed. A file-system watch (inotify on Linux) says when; a slow re-read covers
// file systems whose watches miss writes. Waiting readiness checks cost nothing while a guest boots,
// and the line that makes a guest ready is seen as soon as qvm writes it.
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export interface LogFollower {
  /** Complete lines appended since the last call (or the start offset). */
  next(): Promise<string[]>;
  /** Resolves at the next change of the file, after `ms`, or on abort, whichever is first. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface FollowLogOptions {
  readonly path: string;
  readonly offset: number;
  /** Re-read at least this often even without a change event. */
  readonly rereadMs: number;
}

export function followLog(options: FollowLogOptions): LogFollower {
  let position = options.offset;
  let partial = '';
  let handle: FileHandle | undefined;
  let changed = true;
  let lastRead = 0;
  let wake: (() => void) | undefined;
  let watching = false;
  const watcher = watchQuietly(options.path, {
    onChange: () => {
      changed = true;
      wake?.();
    },
    onError: () => {
      watching = false;
    },
  });
  watching = watcher !== undefined;

  const readAppended = async (): Promise<string[]> => {
    handle ??= await open(options.path, 'r').catch(() => undefined);
    if (handle === undefined) return [];
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(16_384), position });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    if (chunks.length === 0) return [];
    const lines = (partial + Buffer.concat(chunks).toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    return lines;
  };

  return {
    async next() {
      // Without a working watch every call reads; with one, only after a change or a long quiet.
      if (watching && !changed && Date.now() - lastRead < options.rereadMs) return [];
      changed = false;
      lastRead = Date.now();
      return readAppended();
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
