// What a qvm exit means (docs/planner.md, "Exit policy") and the restart bookkeeping it updates.
// Pure: the daemon calls recordExit on every exit record and stores the result.

import type { GuestSpec } from '../model/guest-spec.js';
import { emptyHistory, type ExitRecord, type GuestHistory } from '../model/observed.js';

export type ExitClass = 'requested' | 'guest-shutdown' | 'reboot' | 'poweroff' | 'failure' | 'start-failure' | 'config-error';

/** Exit codes that mean the guest failed while it ran (power cut, watchdog, vdev and fatal errors). */
const FAILURE_CODES: ReadonlySet<number> = new Set([3, 4, 5, 6, 7, 96]);
/** Exit 64 (fatal before the guest started) gives up after this many failures in a row. */
export const START_FAILURE_LIMIT = 3;
/** Failure timestamps kept per guest (enough for any backoff cap and give-up count). */
const MAX_FAILURES_KEPT = 64;
/** Start times kept per guest for the start-rate limit: the largest `startLimit.burst` the schema allows. */
export const MAX_STARTS_KEPT = 100;

/** The recent start times of a history, as numbers only: the stored file is not trusted blindly. */
export function recentStarts(history: GuestHistory | undefined): readonly number[] {
  const value: unknown = (history as { readonly recentStarts?: unknown } | undefined)?.recentStarts;
  return Array.isArray(value) ? value.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
}

// Requested exits first: a power cut by the stop ladder (3) is not a failure.
export function classifyExit(exit: ExitRecord, spec: GuestSpec | undefined): ExitClass {
  if (exit.requested) return 'requested';
  const code = exit.code;
  if (code === null) return 'failure';
  if (code === 0) return 'guest-shutdown';
  if (code === 64) return 'start-failure';
  if (code === 65) return 'config-error';
  if (FAILURE_CODES.has(code)) return 'failure';
  if (code >= 32 && code <= 63) return spec?.restart.exitCodes[code] ?? 'failure';
  return 'failure';
}

/**
 * Folds one exit into the history. Idempotent for the same record (same pid and time).
 * - A run that lasted `backoff.resetAfterMs` was stable: earlier failures stop counting.
 * - failure / start-failure append a failure; `maxFailures.count` failures within
 *   `maxFailures.windowMs`, or START_FAILURE_LIMIT failures in a row ending with a 64, give up.
 * - config-error (65) gives up at once: never restarted until the manifest changes.
 * - `failed` is cleared when the spec's config hash differs from the one it gave up with.
 * - `restarts` counts exits the policy answers with a restart.
 * - a run that ended on its own (not asked for by qvmctl) keeps its start time for the start-rate
 *   limit, as long as it is inside `startLimit.intervalMs` of this exit.
 * Fields it does not manage (e.g. `foldedRuns`) are kept.
 */
export function recordExit(history: GuestHistory | undefined, exit: ExitRecord, spec: GuestSpec): GuestHistory {
  const base = history ?? emptyHistory(spec.name);
  if (base.lastExit !== undefined && base.lastExit.pid === exit.pid && base.lastExit.at === exit.at) return base;
  const kind = classifyExit(exit, spec);
  const stable = exit.at - exit.startedAt >= spec.restart.backoff.resetAfterMs;
  let failures = stable ? [] : base.failures;
  let failed = base.failed && (base.failedConfigHash === undefined || base.failedConfigHash === spec.configHash);
  if (kind === 'failure' || kind === 'start-failure') {
    failures = [...failures, exit.at].slice(-MAX_FAILURES_KEPT);
    const since = exit.at - spec.restart.maxFailures.windowMs;
    const recent = failures.filter((at) => at > since).length;
    if (recent >= spec.restart.maxFailures.count) failed = true;
    if (kind === 'start-failure' && failures.length >= START_FAILURE_LIMIT) failed = true;
  }
  if (kind === 'config-error') failed = true;
  const restarted = !failed && restartsAfter(kind, spec);
  return {
    ...base,
    name: spec.name,
    failures,
    lastExit: exit,
    failed,
    failedConfigHash: failed ? spec.configHash : undefined,
    restarts: base.restarts + (restarted ? 1 : 0),
    recentStarts: keepStarts(base, exit, kind, spec),
  };
}

// Only what a limit can still count: starts within the interval before this exit, the newest few.
function keepStarts(history: GuestHistory, exit: ExitRecord, kind: ExitClass, spec: GuestSpec): number[] {
  const windowMs = spec.restart.startLimit?.intervalMs ?? 0;
  const starts = kind === 'requested' ? [...recentStarts(history)] : [...recentStarts(history), exit.startedAt];
  return starts.filter((at) => at > exit.at - windowMs).sort((a, b) => a - b).slice(-MAX_STARTS_KEPT);
}

// Whether the policy answers an exit of this class with a start (backoff aside).
export function restartsAfter(kind: ExitClass, spec: GuestSpec): boolean {
  switch (kind) {
    case 'requested':
    case 'config-error':
    case 'poweroff':
      return false;
    case 'reboot':
      return true;
    case 'guest-shutdown':
      return spec.restart.onGuestExit === 'restart';
    case 'failure':
    case 'start-failure':
      return spec.restart.onFailure === 'restart';
  }
}

// Capped exponential backoff before the next start after `failureCount` failures in a row.
export function computeBackoffMs(spec: GuestSpec, failureCount: number): number {
  const { initialMs, maxMs } = spec.restart.backoff;
  if (failureCount <= 0) return 0;
  const exponent = Math.min(failureCount - 1, 52);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}
