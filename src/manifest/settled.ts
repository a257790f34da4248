// Settled input for a plain manifest directory (docs/daemon.md, "Settled input"): a load is used
// only once nothing it was read from has changed for the settle window. An editor that writes a
// file in place in two steps leaves a half that may well be valid; time is the only sign a plain
// directory gives that a writer is done (a git checkout gives a commit instead).
//
// "Changed" is the inode's change time (ctime): every write, truncate, rename or chmod sets it,
// and no tool sets it back (unlike mtime, which `touch -d`, `cp -p` or `tar` restore). Where a
// clock disagrees (a ctime in the future, e.g. a network file system), the time this process first
// saw the file as it is now counts instead: whichever is earlier.

import { stat } from 'node:fs/promises';

export interface SettleCheck {
  /** Paths changed less than the window ago (or gone since they were read). */
  readonly unsettled: readonly string[];
  /** Epoch ms when the last of them will have settled, if nothing changes again. */
  readonly settledAt: number | undefined;
}

export interface SettleTracker {
  /**
   * Whether every path has stayed unchanged for `windowMs` up to `now`, and not changed since
   * `readAt` (when the load that used them began reading).
   */
  check(paths: readonly string[], options: { readonly windowMs: number; readonly now: number; readonly readAt: number }): Promise<SettleCheck>;
}

export function createSettleTracker(): SettleTracker {
  /** Per path: how it looked (inode, size, times) and when this process first saw it so. */
  let seen = new Map<string, { readonly signature: string; readonly since: number }>();
  return {
    async check(paths, { windowMs, now, readAt }) {
      const unique = [...new Set(paths)];
      const stats = await Promise.all(unique.map((p) => stat(p).catch(() => undefined)));
      const next = new Map<string, { signature: string; since: number }>();
      const unsettled: string[] = [];
      let settledAt: number | undefined;
      for (const [i, path] of unique.entries()) {
        const info = stats[i];
        if (info === undefined) {
          // Gone since the load read it: the directory is changing.
          unsettled.push(path);
          settledAt = Math.max(settledAt ?? 0, now + windowMs);
          continue;
        }
        const signature = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
        const known = seen.get(path);
        const since = known?.signature === signature ? known.since : now;
        next.set(path, { signature, since });
        const at = Math.min(info.ctimeMs, since) + windowMs;
        // Changed after the read began (by a sane clock; a changed signature tells it otherwise).
        const changedWhileRead = info.ctimeMs >= readAt && info.ctimeMs <= now;
        if (at > now || changedWhileRead) {
          unsettled.push(path);
          settledAt = Math.max(settledAt ?? 0, Math.max(at, now));
        }
      }
      seen = next;
      return { unsettled, settledAt };
    },
  };
}
