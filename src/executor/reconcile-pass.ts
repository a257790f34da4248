// One level-triggered pass: observe the host, fold new exits into the restart history, plan from
// scratch, and (unless it is a dry run) execute. `plan`, `apply` and the daemon all go through here,
// so they can never disagree about what the manifests mean.

import type { ShutdownSpec } from '../model/guest-spec.js';
import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, Observation } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import { crashPoint } from '../runtime/crash-point.js';
import type { HostPort } from '../runtime/port.js';
import { observeHost } from './observe-host.js';
import { sameOrphans, trackOrphans } from './orphans.js';
import { executePlan, type ExecutionHooks, type ExecutionResult } from './execute-plan.js';

/** Ladder for a guest whose manifest is gone (we no longer know its own): the power button only. */
export const FALLBACK_SHUTDOWN: ShutdownSpec = {
  guestCommand: undefined,
  guestTimeoutMs: 0,
  powerButtonTimeoutMs: 60_000,
  allowPowerCut: false,
  powerCutTimeoutMs: 0,
};

export interface PassOptions {
  readonly desired: DesiredState;
  readonly runtime: HostPort;
  readonly now?: () => number;
  /** An operator's apply (manual updates, stay-stopped lifted) rather than the daemon. */
  readonly explicit: boolean;
  /** Default: whether the state directory holds a shutdown fence (see fence.ts). */
  readonly fenced?: boolean;
  /** False when the manifest directory is empty or unreadable: never prune. */
  readonly manifestsTrusted?: boolean;
}

export interface PreparedPass {
  readonly observation: Observation;
  readonly histories: ReadonlyMap<string, GuestHistory>;
  readonly plan: Plan;
}

export interface PassResult extends PreparedPass {
  readonly execution: ExecutionResult;
}

/**
 * Observe + plan, read-only: folds exits in memory, writes nothing, takes no lock (`plan`, `status`).
 * What it shows is what a pass would do if it ran now.
 */
export function previewPass(options: PassOptions): Promise<PreparedPass> {
  return prepare(options, false);
}

export interface RunPassOptions extends PassOptions {
  readonly hooks?: ExecutionHooks;
  /** Picks the plan to execute from the fresh pass (e.g. a saved plan after a staleness check); may throw. */
  readonly choosePlan?: (prepared: PreparedPass) => Plan;
}

export function runPass(options: RunPassOptions): Promise<PassResult> {
  return options.runtime.withPassLock(async () => {
    const fresh = await prepare(options, true);
    const prepared = options.choosePlan === undefined ? fresh : { ...fresh, plan: options.choosePlan(fresh) };
    const execution = await executePlan({
      plan: prepared.plan,
      guests: options.desired.guests,
      running: prepared.observation.guests,
      runtime: options.runtime,
      concurrency: options.desired.host.concurrency,
      fallbackShutdown: FALLBACK_SHUTDOWN,
      ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
    });
    return { ...prepared, execution };
  });
}

// With `persist`, under the pass lock: exits are folded durably and orphan times saved.
async function prepare(options: PassOptions, persist: boolean): Promise<PreparedPass> {
  const now = options.now ?? Date.now;
  const { desired, runtime } = options;
  const { observation: observed, histories } = await observeHost({ runtime, desired, persist });
  // Passes are single-flight per host, so no other stop ladder can be under way: a `stopping` mark
  // left by a qvmctl that died mid-stop must not freeze the guest. (A preview plans as a pass would.)
  if (persist) crashPoint('apply:after-observe');
  const observation: Observation = { ...observed, guests: observed.guests.map((g) => ({ ...g, stopping: false })) };
  const specs = new Map(desired.guests.map((spec) => [spec.name, spec]));

  const fenced = options.fenced ?? (await runtime.state.readFence()) !== undefined;
  const previousOrphans = await runtime.state.loadOrphans();
  const orphans = trackOrphans(previousOrphans, observation.guests.map((g) => g.name), specs, now());
  if (persist && !sameOrphans(previousOrphans, orphans)) await runtime.state.saveOrphans(orphans);

  const plan = createPlan({
    desired,
    running: observation.guests,
    histories,
    orphans,
    policy: { now: now(), explicit: options.explicit, fenced, manifestsTrusted: options.manifestsTrusted ?? true },
  });
  return { observation, histories, plan };
}
