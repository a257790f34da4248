// A plan is data: what to do to each guest and why. Decisions use `action`; `reason` is for people.

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
  | 'fenced';

export interface Change {
  readonly guest: string;
  readonly action: Exclude<Action, 'none'>;
  readonly reason: Reason;
  /** One human sentence, e.g. "config hash 3f2a… → 9c41…". */
  readonly detail: string;
  /** Guests whose steps must finish first (dependencies for starts, dependents for stops). */
  readonly after: readonly string[];
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
  /** Changes grouped in waves that can run in parallel; for display and dry runs. */
  readonly waves: readonly (readonly string[])[];
  /** When the next reconcile should come at the latest (earliest hold expiry), if any. */
  readonly requeueAt: number | undefined;
}
