// File watchers used as triggers only: what changed is never passed on, because every pass re-reads
// everything. chokidar reports an editor's atomic save as unlink + add and `git checkout` as a
// burst; the pass loop debounces the manifest watcher and coalesces everything.

import { sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface Watcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  readonly onChange: () => void;
  readonly onError?: (error: unknown) => void;
}

// The manifest directory and its subdirectories (configFile .qvmconf), except VCS and editor noise.
export function watchManifestDir(options: WatchOptions & { readonly dir: string }): Watcher {
  const watcher = watch(options.dir, {
    ignoreInitial: true,
    depth: 4,
    ignored: (path) => isIgnoredManifestPath(path, options.dir),
  });
  return wire(watcher, options);
}

export function isIgnoredManifestPath(path: string, root: string): boolean {
  if (path === root) return false;
  const rel = path.startsWith(root + sep) ? path.slice(root.length + 1) : path;
  return rel.split(sep).some((part) => part === '.git' || part === 'node_modules' || part.endsWith('~') || part.endsWith('.swp') || part.endsWith('.swx'));
}

function wire(watcher: FSWatcher, options: WatchOptions): Watcher {
  watcher.on('all', () => { options.onChange(); });
  watcher.on('error', (error) => options.onError?.(error));
  return { close: () => watcher.close() };
}
