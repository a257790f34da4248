// What actually runs on the host, as the runtime port observed it. Plain data for the planner.

/** A qvm process matched to a guest by its recorded identity. */
export interface ObservedGuest {
  readonly name: string;
  readonly pid: number;
  /** Process start time as the OS reports it (Linux: field 22 of /proc/<pid>/stat; QNX: start_time). */
  readonly processStart: string;
  /** Config hash qvm was started with (from the state directory's identity record). */
  readonly configHash: string;
  /** Epoch ms when qvmctl started it (or first saw it, for adopted guests without a record). */
  readonly startedAt: number;
  /** True once the guest's readiness check has passed for this process. */
  readonly ready: boolean;
  /** A stop ladder is under way for this process. */
  readonly stopping: boolean;
  /** Its monitor no longer runs (killed from outside): when qvm ends, no exit record will be written. */
  readonly monitorLost?: boolean;
}

/** A qvm process that no guest's identity explains. Never signalled unless a policy says so. */
export interface UnmanagedProcess {
  readonly pid: number;
  readonly processStart: string;
  readonly argv: readonly string[];
  /**
   * The qvm `system` name it runs, as its command line and the configuration files it names tell
   * (docs/runtime.md, "One qvm per system name"); undefined when they do not say.
   */
  readonly system?: string;
}

/**
 * Why an exit has no monitor record: the monitor was killed while qvm ran (`monitor-lost`), or qvm
 * started before the host's current boot, so it ended with the host (`host-down`: a power loss, or
 * a shutdown that did not go through qvmctl).
 */
export type UnrecordedCause = 'monitor-lost' | 'host-down';

/** How one qvm process ended, as its monitor recorded it (even while qvmctl was not running). */
export interface ExitRecord {
  readonly name: string;
  /** The monitor's run id: what makes folding an exit into the history idempotent. */
  readonly runId?: string;
  readonly pid: number;
  /** qvm's exit code, or null when it died by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Epoch ms when the monitor saw it end. */
  readonly at: number;
  readonly startedAt: number;
  /** qvmctl asked for this exit (a stop ladder), so it is not a failure or a guest-initiated exit. */
  readonly requested: boolean;
  /**
   * Set when no monitor recorded this exit and qvmctl inferred it (the process is gone, its monitor
   * too): code and signal are then null and `at` is when qvmctl noticed.
   */
  readonly unrecorded?: UnrecordedCause;
}

/** Restart bookkeeping per guest, kept in the state directory and updated from exit records. */
export interface GuestHistory {
  readonly name: string;
  /** Epoch ms of failures that count towards backoff and give-up (oldest first). */
  readonly failures: readonly number[];
  readonly lastExit: ExitRecord | undefined;
  /** Gave up after too many failures; cleared by a manifest change or an operator reset. */
  readonly failed: boolean;
  /** Config hash that was current when the guest gave up (a change clears `failed`). */
  readonly failedConfigHash: string | undefined;
  readonly restarts: number;
  /** Start times of recent runs that ended on their own (oldest first, bounded): the start-rate limit counts them. */
  readonly recentStarts?: readonly number[];
  /** Run ids of the exits already folded in (newest last, bounded): an exit read twice counts once. */
  readonly foldedRuns?: readonly string[];
}

/** The history of a guest with no run folded in yet. */
export function emptyHistory(name: string): GuestHistory {
  return { name, failures: [], lastExit: undefined, failed: false, failedConfigHash: undefined, restarts: 0 };
}

export interface Observation {
  readonly guests: readonly ObservedGuest[];
  readonly unmanaged: readonly UnmanagedProcess[];
  /** Exits recorded since the previous observation. */
  readonly exits: readonly ExitRecord[];
  /** The state directory does not exist (yet): nothing was ever started from it. A look says so. */
  readonly stateDirMissing?: boolean;
}
