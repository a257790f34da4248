// The normalized `kind: Host` manifest: how this hypervisor host runs qvm and qvmctl.

import type { GuestSpec } from './guest-spec.js';

export type QvmBinary =
  | { readonly kind: 'path'; readonly path: string }
  /** The bundled qvm simulator (`qvm-sim`): for laptops, demos and tests. */
  | { readonly kind: 'simulator' };

/** The hypervisor host's architecture; its guests run on the same one. */
export type HostArch = 'x86_64' | 'aarch64';

export type UnmanagedPolicy = 'stop' | 'leave' | 'refuse';
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface MaintenanceWindow {
  readonly days: readonly Weekday[];
  /** Minutes after midnight, in `timeZone`. */
  readonly startMinute: number;
  readonly durationMs: number;
  /**
   * The IANA time zone of `days` and `startMinute` (`UTC` for `utc: true`); undefined for a window
   * that names none: the zone of the machine qvmctl runs on, read through Date when planning
   * (docs/manifests.md, "Maintenance windows").
   */
  readonly timeZone: string | undefined;
}

/** An OpenSSH connection to a remote hypervisor host (docs/remote.md). */
export interface SshConnection {
  readonly kind: 'ssh';
  readonly host: string;
  readonly user: string | undefined;
  readonly port: number | undefined;
  /** Absolute path of a private key (`ssh -i`). */
  readonly identityFile: string | undefined;
  /** Absolute path of an ssh_config used instead of ~/.ssh/config (`ssh -F`). */
  readonly configFile: string | undefined;
  readonly connectTimeoutMs: number;
}

/** `local`: qvmctl runs on the hypervisor host itself. */
export type HostConnection = { readonly kind: 'local' } | SshConnection;

/** How big a guest's console log grows before it is rotated, and how many rotated ones are kept (docs/runtime.md). */
export interface ConsoleLogLimits {
  /** Bytes: at a pass, a console.log of at least this size is rotated. */
  readonly maxSizeBytes: number;
  /** Rotated generations kept (console.log.1 … console.log.N); 0 keeps none. */
  readonly keep: number;
}

/** Console logs: rotated at 10 MiB, three rotated ones kept (docs/runtime.md, "Console logs"). */
export const DEFAULT_CONSOLE_LOG: ConsoleLogLimits = { maxSizeBytes: 10 * 1024 * 1024, keep: 3 };

/** How many ended runs of each guest keep their exit record in `exits/` (docs/runtime.md, "Compaction"). */
export interface RunHistoryLimits {
  /** Exit records of ended runs kept per guest, newest first; older ones are removed at a pass. */
  readonly keep: number;
}

/**
 * Three ended runs: with the files every guest has (config, console log, history, identity, and the
 * live run's launch record and PID file) a guest stays within ten files however often it restarts.
 */
export const DEFAULT_RUN_HISTORY: RunHistoryLimits = { keep: 3 };

export interface HostSpec {
  readonly qvm: QvmBinary;
  /** How qvmctl reaches the host. */
  readonly connection: HostConnection;
  /** As the Host manifest says; undefined: each guest's configuration tells (docs/shutdown.md). */
  readonly arch?: HostArch;
  /** Absolute path (on the host); resolved against the manifest directory when given relative for a local host. */
  readonly stateDir: string;
  readonly concurrency: number;
  readonly reconcile: { readonly intervalMs: number; readonly debounceMs: number };
  readonly prune: { readonly enabled: boolean; readonly graceMs: number; readonly maxFraction: number };
  readonly maintenanceWindows: readonly MaintenanceWindow[];
  readonly shutdown: {
    /** Host power-off argv, run only once no qvm is alive. */
    readonly command: readonly string[];
    readonly rebootCommand: readonly string[];
    /** Time available for the whole sequence (e.g. UPS hold-up time). */
    readonly deadlineMs: number;
    readonly unmanaged: UnmanagedPolicy;
  };
  /** Console log rotation (the loader always sets it; absent = the defaults, 10M and 3). */
  readonly consoleLog?: ConsoleLogLimits;
  /** Exit records kept per guest (the loader always sets it; absent = the default, 3). */
  readonly history?: RunHistoryLimits;
  /** Executables (absolute paths or bare names) that manifests may run. */
  readonly commands: { readonly allow: readonly string[] };
  /** Absolute directories that a guest's `configFile` may point into, besides the manifest directory (loader always sets it; absent = none). */
  readonly configRoots?: readonly string[];
}

export interface DesiredState {
  readonly guests: readonly GuestSpec[];
  readonly host: HostSpec;
}
