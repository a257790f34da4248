// Whether a state directory may be trusted, as OpenSSH's StrictModes trusts ~/.ssh: qvmctl (often
// root) runs the monitor script it finds there and writes where its files point, so whoever can
// replace a file in it, or a directory above it, can run code as qvmctl's user. The check only
// looks (lstat/stat): a refused directory is left exactly as it was.
import { lstat, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/** A state directory (or a file in it) that qvmctl refuses to use; nothing was changed. */
export class StateDirTrustError extends Error {
  override readonly name = 'StateDirTrustError';
  constructor(
    /** The path that is wrong: the state directory, a directory above it, or a file in it. */
    readonly path: string,
    /** What is wrong with it, e.g. `is owned by uid 65534`. */
    readonly problem: string,
    /** The command that makes it right. */
    readonly fix: string,
    readonly stateDir?: string,
  ) {
    const which = stateDir === undefined ? '' : `state directory ${stateDir} is not trusted: `;
    super(`${which}${path} ${problem}; run \`${fix}\` (or choose another with --state-dir)`);
  }
}

/** The error with the state directory named, when it is a trust refusal that did not say which. */
export function withStateDir(error: unknown, stateDir: string): unknown {
  if (!(error instanceof StateDirTrustError) || error.stateDir !== undefined) return error;
  return new StateDirTrustError(error.path, error.problem, error.fix, stateDir);
}

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function shq(s: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

async function statOrUndefined(path: string, how: (p: string) => Promise<Stats>): Promise<Stats | undefined> {
  try {
    return await how(path);
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** A path that must not be a symbolic link (a directory or file qvmctl or the monitor writes in). */
export async function refuseSymlink(path: string, stateDir?: string): Promise<void> {
  const info = await statOrUndefined(path, lstat);
  if (info?.isSymbolicLink() === true) {
    throw new StateDirTrustError(path, 'is a symbolic link, which qvmctl never writes through', `rm ${shq(path)}`, stateDir);
  }
}

/**
 * Refuses (StateDirTrustError) a state directory that is a symbolic link, is not owned by this
 * user, or is writable by group or others, or any existing directory above it (as given and as it
 * resolves) that is owned by another user than root or this user, or writable by group or others
 * without being root's and sticky (like /tmp). A state directory that does not exist yet is
 * checked through its parents; one that is not a directory is left to the writes to report.
 */
export async function checkStateDirTrust(stateDir: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const user = userInfo().username;
  const self = await statOrUndefined(stateDir, lstat);
  if (self?.isSymbolicLink() === true) {
    throw new StateDirTrustError(stateDir, 'is a symbolic link (the state directory must be a real directory)', `rm ${shq(stateDir)} && mkdir -m 700 ${shq(stateDir)}`, stateDir);
  }
  if (self?.isDirectory() === true) {
    const wrong: string[] = [];
    if (self.uid !== uid) wrong.push(`is owned by uid ${self.uid}, not by this user (${user}, uid ${uid})`);
    if ((self.mode & GROUP_OTHER_WRITE) !== 0) wrong.push(`is writable by group or others (mode ${octal(self.mode)})`);
    if (wrong.length > 0) throw new StateDirTrustError(stateDir, wrong.join(' and '), `chown ${shq(user)} ${shq(stateDir)} && chmod 700 ${shq(stateDir)}`, stateDir);
    await refuseSymlink(join(stateDir, 'guests'), stateDir);
  }
  // Every directory above it, both the way it is written and the way it resolves.
  const parents = new Set<string>(ancestors(stateDir));
  for (const p of ancestors(stateDir)) {
    const real = await realpath(p).catch(() => undefined);
    if (real === undefined) continue;
    if (real !== p) for (const q of [real, ...ancestors(real)]) parents.add(q);
    break;
  }
  for (const dir of parents) {
    const info = await statOrUndefined(dir, stat);
    if (info === undefined) continue;
    const wrong: string[] = [];
    if (info.uid !== 0 && info.uid !== uid) wrong.push(`is owned by uid ${info.uid}, neither root nor this user (${user})`);
    const sharedSticky = info.uid === 0 && (info.mode & STICKY) !== 0;
    if ((info.mode & GROUP_OTHER_WRITE) !== 0 && !sharedSticky) wrong.push(`is writable by group or others without the sticky bit (mode ${octal(info.mode)})`);
    if (wrong.length > 0) {
      throw new StateDirTrustError(dir, `(above the state directory) ${wrong.join(' and ')}`, `chown root ${shq(dir)} && chmod go-w ${shq(dir)}`, stateDir);
    }
  }
}

/** The directories above `path`, nearest first, up to `/`. */
function ancestors(path: string): string[] {
  const result: string[] = [];
  for (let p = dirname(path); ; p = dirname(p)) {
    result.push(p);
    if (dirname(p) === p) return result;
  }
}
