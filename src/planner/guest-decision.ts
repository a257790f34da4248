// The decision for one managed guest, given the decisions already taken for its dependencies
// (guests are visited in dependency order, so a dependency's decision is always known first).

import type { GuestSpec } from '../model/guest-spec.js';
import type { MaintenanceWindow } from '../model/host-spec.js';
import type { GuestHistory, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Action, Reason } from '../model/plan.js';
import { decideStart } from './start-decision.js';
import { checkUpdate } from './update-gate.js';

export type Decision =
  | { readonly kind: 'change'; readonly action: Exclude<Action, 'none'>; readonly reason: Reason; readonly detail: string }
  | { readonly kind: 'hold'; readonly reason: Reason; readonly detail: string; readonly until: number | undefined }
  | { readonly kind: 'none' };

export interface GuestDecisionInput {
  readonly spec: GuestSpec;
  readonly observed: ObservedGuest | undefined;
  /** A qvm qvmctl did not start that runs this guest's system name. */
  readonly systemInUse?: UnmanagedProcess | undefined;
  readonly history: GuestHistory | undefined;
  /** Dependencies by name (sorted); unknown names count as not running. */
  readonly dependencies: readonly string[];
  /** The action already planned for a guest, if any. */
  readonly actionOf: (name: string) => Exclude<Action, 'none'> | undefined;
  /** Whether a guest runs once the plan is done (running and kept, or started). */
  readonly willRun: (name: string) => boolean;
  readonly windows: readonly MaintenanceWindow[];
  readonly now: number;
  readonly explicit: boolean;
  readonly fenced: boolean;
}

const NONE: Decision = { kind: 'none' };

function change(action: Exclude<Action, 'none'>, reason: Reason, detail: string): Decision {
  return { kind: 'change', action, reason, detail };
}

function hold(reason: Reason, detail: string, until?: number): Decision {
  return { kind: 'hold', reason, detail, until };
}

export function shortHash(hash: string): string {
  return hash.slice(0, 6);
}

export function decideGuest(input: GuestDecisionInput): Decision {
  return input.observed === undefined ? decideStopped(input) : decideRunning(input, input.observed);
}

// Precedence: own stop, a dependency stopping, then restarts (config change, dependency restart).
function decideRunning(input: GuestDecisionInput, observed: ObservedGuest): Decision {
  const { spec, dependencies, actionOf } = input;
  if (spec.state === 'stopped') return change('stop', 'desired-stopped', 'desired stopped');
  const stoppingDep = dependencies.find((dep) => actionOf(dep) === 'stop');
  if (stoppingDep !== undefined) return change('stop', 'dependency-stopping', `dependency ${stoppingDep} is stopping`);
  const restartedDep = dependencies.find((dep) => actionOf(dep) === 'restart');
  const changed = observed.configHash !== spec.configHash;
  if (!changed && restartedDep === undefined) return NONE;
  const hashes = `hash ${shortHash(observed.configHash)} → ${shortHash(spec.configHash)}`;
  let reason: Reason = 'dependency-restarted';
  let detail = `dependency ${restartedDep ?? ''} restarts`;
  if (changed) {
    const gate = checkUpdate({ spec, windows: input.windows, now: input.now, explicit: input.explicit });
    if (restartedDep !== undefined) detail = `${detail}; also applies the config change (${hashes})`;
    else if (gate.allowed) [reason, detail] = ['config-changed', hashes];
    else return hold(gate.reason, `${gate.detail} (${hashes})`, gate.until);
  }
  if (input.fenced) return hold('fenced', `restart (${reason}) refused: the shutdown fence is up`);
  if (input.systemInUse !== undefined) return hold('system-in-use', `restart (${reason}) refused: ${systemInUseDetail(spec.system, input.systemInUse)}`);
  const missing = dependencies.filter((dep) => !input.willRun(dep));
  if (missing.length === 0) return change('restart', reason, detail);
  // A dependency restarts under it but it could not start again: stop it rather than leave it running.
  if (restartedDep !== undefined) return change('stop', 'dependency-restarted', `${detail}; cannot start again while ${missing.join(', ')} not running`);
  return hold('dependency-not-running', `restart waits: ${missing.join(', ')} not running`);
}

function decideStopped(input: GuestDecisionInput): Decision {
  const { spec } = input;
  if (spec.state === 'stopped') return NONE;
  const start = decideStart({ spec, history: input.history, now: input.now, explicit: input.explicit });
  if (start.kind === 'hold') return hold(start.reason, start.detail, start.until);
  if (input.fenced) return hold('fenced', 'start refused: the shutdown fence is up');
  if (input.systemInUse !== undefined) return hold('system-in-use', `start refused: ${systemInUseDetail(spec.system, input.systemInUse)}`);
  const missing = input.dependencies.filter((dep) => !input.willRun(dep));
  if (missing.length > 0) return hold('dependency-not-running', `waits for ${missing.join(', ')} (not running)`);
  return change('start', start.reason, start.detail);
}

/** Two qvm with one system name would share its pass-through devices (docs/planner.md). */
export function systemInUseDetail(system: string, process: UnmanagedProcess): string {
  return `qvm pid ${process.pid}, not started by qvmctl, runs system ${system}; stop it (or let \`qvmctl shutdown\` stop it) and the guest starts`;
}
