// One level-triggered pass: observe the host, fold new exits into the restart history, plan from
// scratch, and (unless it is a dry run) execute. `plan`, `apply` and the daemon all go through here,
// so they can never disagree about what the manifests mean.
// The shutdown fence is obeyed twice over (docs/shutdown.md, "One fence, every path"): a plan that
// would start a guest while the fence is up is refused before anything is done (FencedPlanError),
// and while a plan with starts runs, the pass watches the fence and ends its starts the moment it
// goes up; the runtime's own check right before each launch is the last line.

import type { Fence } from '../model/fence.js';
import { DEFAULT_CONSOLE_LOG, DEFAULT_RUN_HISTORY, type DesiredState } from '../model/host-spec.js';
import type { GuestHistory, Observation } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import { fallbackShutdown } from '../planner/shutdown-plan.js';
import { crashPoint } from '../runtime/crash-point.js';
import type { HostPort, RotatedLog } from '../runtime/port.js';
import { observeHost } from './observe-host.js';
import { sameOrphans, trackOrphans } from './orphans.js';
import { executePlan, type ExecutionHooks, type ExecutionResult } from './execute-plan.js';
import { watchFence } from './fence-watch.js';


export interface PassOptions {
  readonly desired: DesiredState;
  readonly runtime: HostPort;
  readonly now?: () => number;
  /** An operator's apply (manual updates, stay-stopped lifted) rather than the daemon. */
  readonly explicit: boolean;
  /**
   * True: plan as if fenced. A pass that acts reads the fence itself under the pass lock anyway (a
   * fence read before the lock may be stale); a preview reads it when this is absent.
   */
  readonly fenced?: boolean;
  /** False when the manifest directory is empty or unreadable: never prune. */
  readonly manifestsTrusted?: boolean;
}

export interface PreparedPass {
  /** The shutdown fence, when it was up as the pass looked. */
  readonly fence: Fence | undefined;
  readonly observation: Observation;
  readonly histories: ReadonlyMap<string, GuestHistory>;
  readonly plan: Plan;
  /**
   * A pass that acts rotates the console logs over their cap before it plans (docs/runtime.md,
   * "Console logs"); a preview rotates nothing. A rotation that fails does not stop the pass.
   */
  readonly consoleLogs: { readonly rotated: readonly RotatedLog[]; readonly error?: unknown };
  /**
   * A pass that acts removes the run records no guest needs any more (docs/runtime.md,
   * "Compaction"), after the exits are acknowledged; a compaction that fails does not stop the pass.
   */
  readonly compaction: { readonly error?: unknown };
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

/**
 * What a pass reports as it goes, in order: the prepared pass once its plan is chosen, before any
 * step begins (so a caller can record every decision before it is acted on), then each step.
 */
export interface PassHooks extends ExecutionHooks {
  onPrepared?(prepared: PreparedPass): void;
}

export interface RunPassOptions extends PassOptions {
  readonly hooks?: PassHooks;
  /**
   * Picks the plan to execute from the fresh pass (a saved plan after a staleness check, an
   * operator's one-off plan); may throw. Reporting belongs in `hooks.onPrepared`.
   */
  readonly choosePlan?: (prepared: PreparedPass) => Plan;
  /** Ends the pass early like a fence would (nothing new begins, readiness waits end). */
  readonly signal?: AbortSignal;
}

/** A plan that would start guests while the shutdown fence is up: refused, nothing was done. */
export class FencedPlanError extends Error {
  override readonly name = 'FencedPlanError';
  constructor(readonly fence: Fence | undefined, readonly guests: readonly string[]) {
    const since = fence === undefined || fence.since === 0 ? '' : ` since ${new Date(fence.since).toISOString()}`;
    const why = fence === undefined ? '' : ` (${fence.reason})`;
    super(`the shutdown fence is up${since}${why}: not starting ${guests.join(', ')}; nothing was done. Lift it with \`qvmctl fence --lift\` first`);
  }
}

/** Guests a plan would start (a start or the start half of a restart). */
export function startsOf(plan: Plan): string[] {
  return plan.changes.filter((c) => c.action === 'start' || c.action === 'restart').map((c) => c.guest);
}

/**
 * A saved plan or an operator's one-off plan is made without regard to the fence: while it is up, such
 * a plan is refused whole rather than do its stops and not its starts. (The planner itself plans no
 * start under a fence.) `runPass` checks the chosen plan; a caller may check earlier, e.g. before
 * showing it.
 */
export function assertUnfenced(fence: Fence | undefined, plan: Plan): void {
  const starts = startsOf(plan);
  if (fence !== undefined && starts.length > 0) throw new FencedPlanError(fence, starts);
}

export function runPass(options: RunPassOptions): Promise<PassResult> {
  return options.runtime.withPassLock(async () => {
    const fresh = await prepare(options, true);
    const prepared = options.choosePlan === undefined ? fresh : { ...fresh, plan: options.choosePlan(fresh) };
    options.hooks?.onPrepared?.(prepared);
    assertUnfenced(prepared.fence, prepared.plan);
    const starts = startsOf(prepared.plan);
    // Only a plan with starts has anything for the fence to stop.
    const watch = starts.length > 0 ? watchFence(options.runtime, options.signal === undefined ? {} : { signal: options.signal }) : undefined;
    const signal = watch?.signal ?? options.signal;
    try {
      const execution = await executePlan({
        plan: prepared.plan,
        guests: options.desired.guests,
        running: prepared.observation.guests,
        runtime: options.runtime,
        concurrency: options.desired.host.concurrency,
        fallbackShutdown: fallbackShutdown(options.desired.host),
        ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
        ...(signal === undefined ? {} : { signal }),
      });
      return { ...prepared, execution };
    } finally {
      watch?.close();
    }
  });
}

// With `persist`, under the pass lock: exits are folded durably and orphan times saved.
async function prepare(options: PassOptions, persist: boolean): Promise<PreparedPass> {
  const now = options.now ?? Date.now;
  const { desired, runtime } = options;
  const { observation: observed, histories } = await observeHost({ runtime, desired, persist });
  // Passes are single-flight per host, so no other stop ladder can be under way: a `stopping` mark
  // is one left by a qvmctl that died mid-stop. The planner never reads marks; the observation a
  // pass hands on carries none either. (A preview plans as a pass would.)
  if (persist) crashPoint('apply:after-observe');
  const observation: Observation = { ...observed, guests: observed.guests.map((g) => ({ ...g, stopping: false })) };
  const compaction = persist ? await compactRuns(runtime, desired, observed) : {};
  const consoleLogs = persist ? await rotateConsoleLogs(runtime, desired, observed) : { rotated: [] };
  const specs = new Map(desired.guests.map((spec) => [spec.name, spec]));

  // Under the pass lock the fence is read fresh: a shutdown may have raised it while this pass waited.
  const fence = persist || options.fenced === undefined ? await runtime.state.readFence() : undefined;
  const fenced = options.fenced === true || fence !== undefined;
  const previousOrphans = await runtime.state.loadOrphans();
  const orphans = trackOrphans(previousOrphans, observation.guests.map((g) => g.name), specs, now());
  if (persist && !sameOrphans(previousOrphans, orphans)) await runtime.state.saveOrphans(orphans);

  const plan = createPlan({
    desired,
    running: observation.guests,
    histories,
    orphans,
    unmanaged: observation.unmanaged,
    policy: { now: now(), explicit: options.explicit, fenced, manifestsTrusted: options.manifestsTrusted ?? true },
  });
  return { fence, observation, histories, plan, consoleLogs, compaction };
}

// After the acknowledgements of this pass: the guests whose records just grew (every guest at an
// adapter's first compaction) keep their last `history.keep` exit records and what a run needs.
async function compactRuns(runtime: HostPort, desired: DesiredState, observed: Observation): Promise<PreparedPass['compaction']> {
  try {
    await runtime.compactRuns({
      keep: (desired.host.history ?? DEFAULT_RUN_HISTORY).keep,
      guests: [...new Set(observed.exits.map((e) => e.name))],
      configHashes: new Map(desired.guests.map((g) => [g.name, g.configHash])),
    });
    return {};
  } catch (error) {
    return { error };
  }
}

// Before any start of the pass: a guest started now begins a fresh log when its old one is over the cap.
async function rotateConsoleLogs(runtime: HostPort, desired: DesiredState, observed: Observation): Promise<PreparedPass['consoleLogs']> {
  const running = new Set(observed.guests.map((g) => g.name));
  try {
    const rotated = await runtime.rotateConsoleLogs({
      running: observed.guests,
      stopped: desired.guests.map((g) => g.name).filter((name) => !running.has(name)),
      limits: desired.host.consoleLog ?? DEFAULT_CONSOLE_LOG,
    });
    return { rotated };
  } catch (error) {
    return { rotated: [], error };
  }
}
