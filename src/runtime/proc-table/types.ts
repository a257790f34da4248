// A read-only view of the host's process table, one implementation per OS.

export interface ProcessEntry {
  readonly pid: number;
  /** Process start time as the OS reports it; with the PID it identifies one process over time. */
  readonly start: string;
  /** Ended but not reaped (PID 1 on some hosts never reaps): counts as gone. */
  readonly zombie: boolean;
  readonly argv: readonly string[];
}

/** The environment a process was started with, and its working directory where it can be read. */
export interface ProcessEnvironment {
  readonly variables: ReadonlyMap<string, string>;
  readonly cwd: string | undefined;
}

export interface ProcessTable {
  /** Live (non-zombie) processes whose argv passes the filter. */
  list(filter: (argv: readonly string[]) => boolean): Promise<readonly ProcessEntry[]>;
  /** One process, or undefined when no process has this PID. */
  get(pid: number): Promise<ProcessEntry | undefined>;
  /** Epoch ms when the host booted, where the OS says (a process started before it is gone). */
  bootTimeMs?(): number | undefined;
  /**
   * The process's environment, where the OS shows it (Linux: `/proc/PID/environ`); undefined when
   * it cannot be read (the process ended, or belongs to another user).
   */
  environment?(pid: number): Promise<ProcessEnvironment | undefined>;
}

/**
 * Whether a start time read now (`current`) is the one recorded for the process earlier. Equal as a
 * rule; on QNX also `Mar 14 09:26` recorded and `Mar 14 2025` now, because pidin prints the time of
 * day for 182 days and the year after that (docs/runtime.md, "Process tables"). The other way round
 * never matches: a process does not get younger. The ssh adapter's `same_start` is the same rule.
 */
export function sameStart(current: string, recorded: string): boolean {
  if (current === recorded) return true;
  const now = current.split(' ');
  const then = recorded.split(' ');
  return now.length === 3 && then.length === 3 && now[0] === then[0] && now[1] === then[1]
    && /^[0-9]{4}$/.test(now[2] ?? '') && /^[0-9]{1,2}:[0-9]{2}$/.test(then[2] ?? '');
}

/** True when `pid` is still the very process that was identified by `start` (and not a zombie). */
export async function isSameProcess(table: ProcessTable, pid: number, start: string): Promise<boolean> {
  const entry = await table.get(pid);
  return entry !== undefined && !entry.zombie && sameStart(entry.start, start);
}
