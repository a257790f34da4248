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

/** True when `pid` is still the very process that was identified by `start` (and not a zombie). */
export async function isSameProcess(table: ProcessTable, pid: number, start: string): Promise<boolean> {
  const entry = await table.get(pid);
  return entry !== undefined && !entry.zombie && entry.start === start;
}
