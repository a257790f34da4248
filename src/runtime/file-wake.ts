// A hint that a file the runtime polls for has appeared: an inotify watch (fs.watch) on one
// directory, resolved when an awaited name is created or renamed into it. The monitor renames its
// PID file and exit record into place (docs/runtime.md, "How qvm is run"), so a start learns that
// qvm runs, and a start grace or a stop ladder that it ended, when it happens rather than at the
// next poll. Only a hint: every caller still polls with its deadline, and a watch that cannot be
// set up (inotify limits, a file system without it) costs latency, never correctness.
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';

export interface FileWake {
  /** Resolves once the file (one of those watched) was seen to appear; never rejects. */
  seen(path: string): Promise<void>;
  close(): void;
}

const never = new Promise<void>(() => undefined);

/** Watches `dir` for `paths` (files directly in it) appearing, until each has or `close`. */
export function watchForFiles(dir: string, paths: readonly string[]): FileWake {
  const waiting = new Map<string, () => void>();
  const seen = new Map<string, Promise<void>>();
  for (const path of paths) {
    const name = basename(path);
    seen.set(name, new Promise<void>((resolve) => { waiting.set(name, resolve); }));
  }
  let watcher: FSWatcher | undefined;
  const close = (): void => {
    watcher?.close();
    watcher = undefined;
  };
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      const resolve = filename === null ? undefined : waiting.get(filename);
      if (resolve === undefined || filename === null) return;
      waiting.delete(filename);
      resolve();
      if (waiting.size === 0) close();
    });
    watcher.on('error', close);
  } catch {
    watcher = undefined;
  }
  return {
    seen: (path) => (watcher === undefined && waiting.has(basename(path)) ? never : seen.get(basename(path)) ?? never),
    close,
  };
}
