// Where a path lies relative to a directory: the one rule every layer uses (manifest directory,
// configRoots, state directory, bundles).
import { isAbsolute, relative, sep } from 'node:path';

/** True when `path` is `dir` or below it (absolute paths, compared as written: resolve links first). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
