// Whether a guest that should run but does not may be started now, judged from its exit history.

import type { GuestSpec } from '../model/guest-spec.js';
import type { ExitRecord, GuestHistory } from '../model/observed.js';
import type { Reason } from '../model/plan.js';
import { classifyExit, computeBackoffMs, recentStarts } from './exit-policy.js';

export type StartDecision =
  | { readonly kind: 'start'; readonly reason: Reason; readonly detail: string }
  | { readonly kind: 'hold'; readonly reason: Reason; readonly detail: string; readonly until: number | undefined };

export interface StartDecisionInput {
  readonly spec: GuestSpec;
  readonly history: GuestHistory | undefined;
  readonly now: number;
  /** An operator's apply: lifts `stay-stopped` (but not `failed`, backoff or a config error). */
  readonly explicit: boolean;
}

function describeExit(exit: ExitRecord): string {
  if (exit.unrecorded === 'host-down') return 'exit not recorded (the host went down)';
  if (exit.unrecorded !== undefined) return 'exit not recorded (monitor lost)';
  return exit.code === null ? `killed by ${exit.signal ?? 'a signal'}` : `exit ${exit.code}`;
}

function hold(reason: Reason, detail: string, until?: number): StartDecision {
  return { kind: 'hold', reason, detail, until };
}

// The exit policy decides; a start it allows must then fit the start-rate limit.
export function decideStart(input: StartDecisionInput): StartDecision {
  const decision = decideByExit(input);
  return decision.kind === 'start' ? limitStarts(decision, input) : decision;
}

/**
 * At most `startLimit.burst` starts within any `startLimit.intervalMs`, counting runs that ended on
 * their own: a guest that exits at once is not started again and again (docs/planner.md). The hold
 * lifts when the oldest counted start leaves the window; an explicit apply does not lift it (as
 * with backoff), an operator's `qvmctl start NAME` is not limited.
 */
function limitStarts(decision: StartDecision, { spec, history, now }: StartDecisionInput): StartDecision {
  const limit = spec.restart.startLimit;
  if (limit === undefined || limit.intervalMs <= 0) return decision;
  const inWindow = recentStarts(history).filter((at) => at > now - limit.intervalMs && at <= now).sort((a, b) => a - b);
  if (inWindow.length < limit.burst) return decision;
  // Once the burst-th newest start leaves the window, one fewer than `burst` remain.
  const until = (inWindow[inWindow.length - limit.burst] ?? now) + limit.intervalMs;
  const interval = formatSeconds(limit.intervalMs);
  return hold('backoff', `start limit reached: ${inWindow.length} starts within ${interval} (restart.startLimit: burst ${limit.burst}, interval ${interval}); ${decision.detail}; next start in ${formatSeconds(until - now)}`, until);
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

// failed → hold (until the config hash changes); then the last exit's class decides.
function decideByExit({ spec, history, now, explicit }: StartDecisionInput): StartDecision {
  const exit = history?.lastExit;
  if (history?.failed === true) {
    if (history.failedConfigHash === undefined || history.failedConfigHash === spec.configHash) {
      const configError = exit !== undefined && classifyExit(exit, spec) === 'config-error';
      return configError
        ? hold('config-error', `qvm rejected the configuration (exit 65); fix the manifest`)
        : hold('failed', `gave up after ${history.failures.length} failures; change the manifest or reset the guest`);
    }
    return { kind: 'start', reason: 'not-running', detail: 'manifest changed since it gave up' };
  }
  if (exit === undefined) return { kind: 'start', reason: 'not-running', detail: 'not running' };
  const how = describeExit(exit);
  const stayStopped = (detail: string): StartDecision =>
    explicit ? { kind: 'start', reason: 'not-running', detail: `${detail}; started by explicit apply` } : hold('stay-stopped', detail);
  switch (classifyExit(exit, spec)) {
    case 'requested':
      return { kind: 'start', reason: 'not-running', detail: 'stopped by qvmctl, desired running' };
    case 'config-error':
      return hold('config-error', 'qvm rejected the configuration (exit 65); fix the manifest');
    case 'reboot':
      return { kind: 'start', reason: 'guest-exited', detail: `guest rebooted (${how})` };
    case 'poweroff':
      return stayStopped(`guest powered off (${how})`);
    case 'guest-shutdown':
      return spec.restart.onGuestExit === 'restart'
        ? { kind: 'start', reason: 'guest-exited', detail: `guest shut down or rebooted (${how})` }
        : stayStopped(`guest shut down (${how}), onGuestExit: stay-stopped`);
    case 'failure':
    case 'start-failure': {
      if (spec.restart.onFailure === 'stay-stopped') return stayStopped(`failed (${how}), onFailure: stay-stopped`);
      const count = Math.max(1, history?.failures.length ?? 0);
      const until = exit.at + computeBackoffMs(spec, count);
      if (now < until) return hold('backoff', `failed (${how}), failure ${count}; backing off ${until - exit.at} ms`, until);
      return { kind: 'start', reason: 'crashed', detail: `failed (${how}), failure ${count}` };
    }
  }
}
