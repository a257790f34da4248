// Each guest's desired state, phase, process, restarts, last exit and holds, derived purely from a
// pass's data. One description serves `qvmctl status` (local) and the daemon's `GET /status`.

import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, ObservedGuest, UnrecordedCause } from '../model/observed.js';
import type { Hold, Plan } from '../model/plan.js';
import { classifyExit, type ExitClass } from './exit-policy.js';

/** Every phase a guest can be in (docs/daemon.md, "Control API"). */
export const GUEST_PHASES = ['running', 'stopping', 'stopped', 'pending', 'backoff', 'held', 'failed', 'stuck', 'orphaned'] as const;

export type GuestPhase = (typeof GUEST_PHASES)[number];

export interface GuestExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: number;
  /** What the exit means to the restart policy (docs/planner.md, "Exit policy"). */
  readonly meaning: ExitClass;
  /** Inferred, not recorded: the guest's monitor was lost before qvm ended. */
  readonly unrecorded?: UnrecordedCause;
}

export interface GuestStatus {
  readonly name: string;
  /** `running` | `stopped` per manifest; `absent` for a running guest whose manifest is gone. */
  readonly desired: 'running' | 'stopped' | 'absent';
  readonly phase: GuestPhase;
  readonly pid: number | undefined;
  readonly startedAt: number | undefined;
  readonly uptimeMs: number | undefined;
  /** Its readiness check passed, and no stop was asked of it since. */
  readonly ready: boolean;
  /**
   * A stop was asked of this qvm process (its stop-request marker names its pid) and it still runs:
   * a stop ladder is under way, or one ran out of steps and left it running (stuck). Phase `stopping`
   * (or `stuck` where the daemon saw its ladder end so).
   */
  readonly stopRequested: boolean;
  /** qvm runs but its monitor is gone: its exit will not be recorded (it is inferred instead). */
  readonly monitorLost: boolean;
  readonly restarts: number;
  readonly failures: number;
  readonly lastExit: GuestExitStatus | undefined;
  readonly holds: readonly Hold[];
  /** The last step the daemon ran for this guest failed: why. */
  readonly lastError: string | undefined;
}

export interface GuestView {
  readonly desired: DesiredState;
  readonly plan: Plan;
  readonly running: ReadonlyMap<string, ObservedGuest>;
  readonly histories: ReadonlyMap<string, GuestHistory>;
  /** Guests whose last step failed or got stuck, with the reason. */
  readonly errors: ReadonlyMap<string, { readonly stuck: boolean; readonly detail: string }>;
}

export function describeGuests(view: GuestView, now: number): GuestStatus[] {
  const specs = new Map(view.desired.guests.map((s) => [s.name, s]));
  const names = [...new Set([...specs.keys(), ...view.running.keys()])].sort();
  return names.map((name) => {
    const spec = specs.get(name);
    const running = view.running.get(name);
    const history = view.histories.get(name);
    const holds = view.plan.holds.filter((h) => h.guest === name);
    const error = view.errors.get(name);
    const exit = history?.lastExit;
    return {
      name,
      desired: spec === undefined ? 'absent' : spec.state,
      phase: phaseOf({ hasSpec: spec !== undefined, wantsRun: spec?.state === 'running', running, history, holds, stuck: error?.stuck === true }),
      pid: running?.pid,
      startedAt: running?.startedAt,
      uptimeMs: running === undefined ? undefined : Math.max(0, now - running.startedAt),
      // A guest asked to stop is not serving, whatever its readiness said before.
      ready: running !== undefined && running.ready && !running.stopping,
      stopRequested: running?.stopping === true,
      monitorLost: running?.monitorLost === true,
      restarts: history?.restarts ?? 0,
      failures: history?.failures.length ?? 0,
      lastExit: exit === undefined ? undefined : { code: exit.code, signal: exit.signal, at: exit.at, meaning: classifyExit(exit, spec), ...(exit.unrecorded === undefined ? {} : { unrecorded: exit.unrecorded }) },
      holds,
      lastError: error?.detail,
    };
  });
}

function phaseOf(g: {
  hasSpec: boolean;
  wantsRun: boolean;
  running: ObservedGuest | undefined;
  history: GuestHistory | undefined;
  holds: readonly Hold[];
  stuck: boolean;
}): GuestPhase {
  if (g.running !== undefined) {
    if (g.stuck) return 'stuck';
    // Asked to stop and still there: never shown as a healthy `running` guest.
    if (g.running.stopping) return 'stopping';
    if (!g.hasSpec) return 'orphaned';
    // Readiness is reported separately (`ready`): an adopted guest runs before anyone re-checked it.
    return 'running';
  }
  if (g.history?.failed === true) return 'failed';
  if (!g.wantsRun) return 'stopped';
  const hold = g.holds[0];
  if (hold === undefined) return 'pending';
  if (hold.reason === 'backoff') return 'backoff';
  if (hold.reason === 'failed' || hold.reason === 'config-error') return 'failed';
  if (hold.reason === 'stay-stopped') return 'stopped';
  return 'held';
}
