// The normalized desired state of one guest: every default applied, durations in milliseconds.
// Produced by manifest/ (the only place that knows about YAML and defaults), read by everything else.

/**
 * The longest duration a spec holds: 24 days (576h). Node's timers hold at most 2^31−1 ms (about
 * 24.8 days) and fire after 1 ms for anything longer; the manifest parser refuses more, so a wait
 * on any spec duration, even with some slack added, fits a timer (docs/manifests.md, Values).
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;

export type DesiredState = 'running' | 'stopped';
export type UpdatePolicy = 'restart' | 'window' | 'manual';
export type ExitPolicy = 'restart' | 'stay-stopped';
/** What a user-defined qvm exit code (32–63) means for this guest. */
export type ExitCodeMeaning = 'reboot' | 'poweroff' | 'failure';

export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

export type Readiness =
  | { readonly kind: 'none' }
  /** Ready once the argv exits 0; retried every `intervalMs` until `timeoutMs`. */
  | { readonly kind: 'command'; readonly argv: readonly string[]; readonly intervalMs: number; readonly timeoutMs: number }
  /** Ready once a console log line matches the regular expression. */
  | { readonly kind: 'log'; readonly pattern: string; readonly timeoutMs: number }
  /** Ready once the guest has been running for `minUptimeMs`. */
  | { readonly kind: 'uptime'; readonly minUptimeMs: number };

/**
 * What pressing the virtual power button (SIGTERM) does to this guest (docs/shutdown.md, "The power
 * button per guest"): `graceful` the guest shuts down; `ignored` nothing happens (and on QNX a second
 * press ends the guest at once); `abrupt` the guest ends at once, like the power cut. Only a
 * graceful power button is a controlled stop, so only then does the ladder press it.
 */
export type PowerButton = 'graceful' | 'ignored' | 'abrupt';

/** The guest's operating system, as its manifest says (`spec.os`). */
export type GuestOs = 'qnx' | 'linux' | 'android' | 'other';

export interface ShutdownSpec {
  /** Argv that asks the guest to shut down from inside; `{name}` and `{system}` already substituted. */
  readonly guestCommand: readonly string[] | undefined;
  readonly guestTimeoutMs: number;
  /** How long to wait after SIGTERM (the power button). */
  readonly powerButtonTimeoutMs: number;
  readonly powerButton: PowerButton;
  /** Why the power button is taken to behave so, for plans and warnings (e.g. "aarch64 guest"). */
  readonly powerButtonBasis?: string;
  /** SIGQUIT (the power cut) as the last step; never without this. */
  readonly allowPowerCut: boolean;
  readonly powerCutTimeoutMs: number;
}

export interface BackoffSpec {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run this long counts as stable and resets the failure count. */
  readonly resetAfterMs: number;
}

/**
 * At most `burst` starts within any `intervalMs` for runs that end on their own (systemd's
 * StartLimitBurst / StartLimitIntervalSec); a further start waits until the oldest of them leaves
 * the window. `intervalMs: 0` turns it off.
 */
export interface StartLimitSpec {
  readonly burst: number;
  readonly intervalMs: number;
}

export interface RestartSpec {
  /** A guest-initiated exit 0 that qvmctl did not ask for (shutdown or reboot from inside). */
  readonly onGuestExit: ExitPolicy;
  /** Exit codes 3–7, 96, 64, and death by signal. */
  readonly onFailure: ExitPolicy;
  readonly backoff: BackoffSpec;
  /** Give up (phase `failed`) after `count` failures within `windowMs`. */
  readonly maxFailures: { readonly count: number; readonly windowMs: number };
  /** Meaning of user-defined exit codes 32–63; unlisted codes count as `failure`. */
  readonly exitCodes: Readonly<Record<number, ExitCodeMeaning>>;
  /** Absent: no limit (specs built in code); the manifest loader always sets it (on by default). */
  readonly startLimit?: StartLimitSpec;
}

export interface GuestSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly source: SourceRef;
  readonly state: DesiredState;
  /** The qvm `system` name (`/dev/qvm/<system>`). */
  readonly system: string;
  /** The `.qvmconf` text qvm is started with (rendered, or raw text as given). */
  readonly qvmconf: string;
  /** Extra qvm arguments after `@file`. */
  readonly extraArgs: readonly string[];
  /**
   * The directory qvm runs in on a local host, so relative paths in its configuration mean what
   * they meant where it was written: the config file's directory, or the manifest's for an inline
   * configuration (docs/manifests.md, "Paths"). Undefined on an ssh host (qvm runs in the state
   * directory's guests/ there) and for specs built in code (the guests/ directory).
   */
  readonly workingDir?: string;
  /** Hash of `qvmconf` + `extraArgs`: a running guest with another hash needs a restart. */
  readonly configHash: string;
  readonly dependsOn: readonly string[];
  readonly readiness: Readiness;
  readonly shutdown: ShutdownSpec;
  readonly restart: RestartSpec;
  readonly update: UpdatePolicy;
  /** Host devices passed through (`pass`/`hostdev`), for cross-guest conflict checks. */
  readonly passthrough: readonly string[];
}
