// The simulator's directories are private to the user who runs the guests: whoever can reach a
// control socket can crash a guest, so its directory must be this user's and closed to others.

import { chmodSync, mkdirSync, statSync } from 'node:fs';

export class SimDirError extends Error {
  override readonly name = 'SimDirError';
}

/**
 * Creates `dir` with mode 0700, or takes the one there if this user owns it (closing it to group
 * and others); refuses a directory of another user, who could reach or replace what is in it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (!info.isDirectory()) throw new SimDirError(`${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new SimDirError(`${dir} belongs to uid ${info.uid}, not to this user (uid ${uid}); the simulator keeps its control sockets in a directory of its own: set QVM_SIM_DIR to one`);
  }
  if ((info.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
