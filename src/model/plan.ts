// A plan is data: what to do to each guest and why. Decisions use `action`; `reason` is for people.

import type { PowerButton } from './guest-spec.js';

export type Action = 'start' | 'stop' | 'restart' | 'none';

export type Reason =
  | 'not-running'
  | 'config-changed'
  | 'desired-stopped'
  | 'removed'
  | 'dependency-restarted'
  | 'dependency-stopping'
  | 'crashed'
  | 'guest-exited'
  | 'backoff'
  | 'failed'
  | 'config-error'
  | 'stay-stopped'
  | 'up-to-date'
  | 'update-manual'
  | 'update-window'
  | 'prune-disabled'
  | 'prune-grace'
  | 'prune-guard'
  | 'dependency-not-running'
  | 'fenced'
  /** A qvm that qvmctl did not start runs the guest's system name: a second one is never started. */
  | 'system-in-use'
  /** An operator's one-off `qvmctl start|stop|restart NAME`. */
  | 'operator';

/**
 * One guest's change. A change has a stop half (`stop`, `restart`) and/or a start half (`start`,
 * `restart`); a restart is its stop half followed by its start half. Ordering is exact:
 * - the stop half of this guest runs only after the STOP halves of every guest in `stopAfter` have
 *   finished (they are its direct dependents being stopped or restarted);
 * - the start half runs only after this guest's own stop half (restart) and after the START halves
 *   of every guest in `startAfter` have finished with the guest running and ready (they are its
 *   direct dependencies being started or restarted).
 * Nothing else orders two changes; whatever has no edge between may run in parallel.
 */
export interface Change {
  readonly guest: string;
  readonly action: Exclude<Action, 'none'>;
  readonly reason: Reason;
  /** One human sentence, e.g. "config hash 3f2a… → 9c41…". */
  readonly detail: string;
  /** `stopAfter` ∪ `startAfter`, sorted: every guest whose step must finish first (for display). */
  readonly after: readonly string[];
  /** Stop half: direct dependents whose stop halves come first. Empty for a start. */
  readonly stopAfter: readonly string[];
  /** Start half: direct dependencies whose start halves (running and ready) come first. Empty for a stop. */
  readonly startAfter: readonly string[];
  /** Stop half: the steps its stop ladder takes and how the guest takes the power button. */
  readonly stopLadder?: StopLadderSummary;
}

/** What a stop will do, for people and JSON (docs/shutdown.md, "The power button per guest"). */
export interface StopLadderSummary {
  /** `guest command → power button → power cut`, only the steps that apply; `nothing` when none does. */
  readonly steps: string;
  readonly powerButton: PowerButton;
  readonly powerButtonBasis?: string;
}

/** A guest that needs attention but gets no action now, and why (backoff, window, manual update…). */
export interface Hold {
  readonly guest: string;
  readonly reason: Reason;
  readonly detail: string;
  /** Epoch ms after which the hold may lift (backoff end, window start). */
  readonly until: number | undefined;
}

export interface Plan {
  readonly changes: readonly Change[];
  readonly holds: readonly Hold[];
  /**
   * Steps grouped in waves that can run in parallel, for display and dry runs: first the stop
   * waves (dependents before dependencies), then the start waves. A restarted guest appears in both.
   */
  readonly waves: readonly (readonly string[])[];
  /** How many leading entries of `waves` are stop waves; the rest are start waves. */
  readonly stopWaveCount: number;
  /** When the next reconcile should come at the latest (earliest hold expiry), if any. */
  readonly requeueAt: number | undefined;
}
