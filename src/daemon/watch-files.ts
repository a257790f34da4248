// File watchers used as triggers only: what changed is never passed on, because every pass re-reads
// everything. chokidar reports an editor's atomic save as unlink + add and `git checkout` as a
// burst; the pass loop debounces the manifest watcher and coalesces everything.

import { execFile } from 'node:child_process';
import { sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface Watcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  readonly onChange: () => void;
  readonly onError?: (error: unknown) => void;
}

// The manifest directory and its subdirectories (configFile .qvmconf), except VCS and editor noise;
// and, when it is in a git checkout, the checkout's HEAD and refs: the daemon applies commits
// (docs/daemon.md, "Settled input"), and a `git commit` changes no file of the working tree.
export function watchManifestDir(options: WatchOptions & { readonly dir: string }): Watcher {
  const watcher = watch(options.dir, {
    ignoreInitial: true,
    depth: 4,
    ignored: (path) => isIgnoredManifestPath(path, options.dir),
  });
  wire(watcher, options);
  let closed = false;
  let refs: FSWatcher | undefined;
  const watchingRefs = gitDirsOf(options.dir).then((dirs) => {
    if (dirs === undefined || closed) return;
    refs = watchGitRefs(dirs);
    wire(refs, options);
  });
  return {
    async close() {
      closed = true;
      await watchingRefs;
      await Promise.all([watcher.close(), refs?.close()]);
    },
  };
}

export function isIgnoredManifestPath(path: string, root: string): boolean {
  if (path === root) return false;
  const rel = path.startsWith(root + sep) ? path.slice(root.length + 1) : path;
  return rel.split(sep).some((part) => part === '.git' || part === 'node_modules' || part.endsWith('~') || part.endsWith('.swp') || part.endsWith('.swx'));
}

/** The git directory (its HEAD) and the common directory (refs, packed-refs) of the checkout holding `dir`. */
interface GitDirs {
  readonly gitDir: string;
  readonly commonDir: string;
}

function gitDirsOf(dir: string): Promise<GitDirs | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['--no-optional-locks', '-C', dir, 'rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'], { timeout: 30_000, encoding: 'utf8' }, (error, stdout) => {
      const [gitDir, commonDir] = stdout.split('\n');
      resolve(error === null && gitDir !== undefined && commonDir !== undefined && gitDir !== '' && commonDir !== '' ? { gitDir, commonDir } : undefined);
    });
  });
}

// HEAD (a checkout, a commit on a detached HEAD), refs/** and packed-refs (a commit, a pull, a
// fetch): git replaces each by renaming a `.lock` file over it. Nothing else of .git is watched.
function watchGitRefs({ gitDir, commonDir }: GitDirs): FSWatcher {
  const wanted = (path: string): boolean => {
    if (path === gitDir || path === commonDir) return true;
    if (path.endsWith('.lock')) return false;
    if (path === `${gitDir}${sep}HEAD` || path === `${commonDir}${sep}HEAD` || path === `${commonDir}${sep}packed-refs`) return true;
    const refs = `${commonDir}${sep}refs`;
    return path === refs || path.startsWith(refs + sep);
  };
  return watch([...new Set([gitDir, commonDir])], {
    ignoreInitial: true,
    depth: 8,
    ignored: (path) => !wanted(path),
  });
}

function wire(watcher: FSWatcher, options: WatchOptions): void {
  watcher.on('all', () => { options.onChange(); });
  watcher.on('error', (error) => options.onError?.(error));
}
