// A state directory that cannot be written (full, read-only, not ours, something in the way) is
// one failure with one clear message, whichever file the operating system refused first.
import { isInside } from '../../model/paths.js';

export type StateDirProblem = 'ENOSPC' | 'EDQUOT' | 'EROFS' | 'EACCES' | 'EPERM' | 'ENOTDIR' | 'EEXIST';

const PROBLEMS: Readonly<Record<StateDirProblem, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way',
};
/** Problems of the filesystem as a whole: any write of a pass that fails so is the state directory's. */
const WHOLE_FS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

export class StateDirError extends Error {
  override readonly name = 'StateDirError';
  constructor(
    readonly stateDir: string,
    readonly code: StateDirProblem,
    /** The file or directory the operating system refused, when it said which. */
    readonly path: string | undefined,
    readonly syscall: string | undefined,
    options: { cause: unknown },
  ) {
    const where = path === undefined ? '' : ` while ${verbOf(syscall)} ${path}`;
    super(`state directory ${stateDir} is not usable: ${PROBLEMS[code]} (${code})${where}`, options);
  }
}

function verbOf(syscall: string | undefined): string {
  switch (syscall) {
    case 'mkdir': return 'creating';
    case 'unlink': case 'rmdir': case 'rm': return 'removing';
    case 'open': case 'write': case 'rename': case 'link': case 'copyfile': case 'fsync': case 'chmod': return 'writing';
    default: return 'using';
  }
}

/** The error as a StateDirError when it is the state directory's problem; otherwise unchanged. */
export function toStateDirError(error: unknown, stateDir: string): unknown {
  if (error instanceof StateDirError || typeof error !== 'object' || error === null) return error;
  const e = error as { code?: unknown; path?: unknown; dest?: unknown; syscall?: unknown };
  if (typeof e.code !== 'string' || !(e.code in PROBLEMS)) return error;
  const path = typeof e.path === 'string' ? e.path : undefined;
  const inside = path !== undefined && isInside(path, stateDir);
  if (!inside && !(WHOLE_FS.has(e.code) && path === undefined)) return error;
  return new StateDirError(stateDir, e.code as StateDirProblem, path, typeof e.syscall === 'string' ? e.syscall : undefined, { cause: error });
}

/** Runs fn; a failure that is the state directory's becomes a StateDirError. */
export async function guardStateDir<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toStateDirError(error, stateDir);
  }
}
