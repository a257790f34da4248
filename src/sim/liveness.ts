// Process liveness from /proc: a zombie counts as ended (PID 1 here does not reap orphans), and the
// start time (field 22 of /proc/<pid>/stat) guards against PID reuse.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks since boot, as in /proc/<pid>/stat field 22; undefined where /proc is absent. */
  readonly startTime: number | undefined;
}

function readStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

export function identityOf(pid: number): ProcessIdentity {
  return { pid, startTime: readStat(pid)?.startTime };
}

/** True while the process runs (not a zombie) and is the one that was recorded. */
export function isAlive(identity: ProcessIdentity): boolean {
  const stat = readStat(identity.pid);
  if (stat === undefined) {
    if (process.platform === 'linux') return false;
    try {
      process.kill(identity.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return identity.startTime === undefined || stat.startTime === identity.startTime;
}
