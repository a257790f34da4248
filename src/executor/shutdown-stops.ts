// Step 2 and 3 of the host shutdown: every qvm process of the shutdown plan is stopped with its own
// ladder, a guest only after every guest that depends on it has stopped, all in parallel where the
// graph allows. A stuck dependent blocks its dependencies, which are reported with its name.

import { crashPoint } from '../runtime/crash-point.js';
import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { ShutdownPlan, ShutdownStep } from '../planner/shutdown-plan.js';
import type { RuntimePort, StopHooks, StopOutcome, StopStep } from '../runtime/port.js';
import { runGraph, type NodeResult } from './run-graph.js';
import { describeStep, describeStuck } from './ladder-words.js';

export type GuestEnd = 'stopped' | 'stuck' | 'blocked' | 'failed' | 'left';

/** How one qvm process ended in the shutdown. `guest` is the guest name, or `pid:<pid>` for an unmanaged qvm. */
export interface GuestShutdownResult {
  readonly guest: string;
  readonly kind: ShutdownStep['kind'];
  readonly pid: number;
  readonly end: GuestEnd;
  /** The ladder step that ended it (`stopped`), or the last one tried (`stuck`). */
  readonly step: StopStep | 'already-gone' | undefined;
  /** qvm's exit code as its monitor recorded it (managed guests), when known. */
  readonly exitCode: number | null | undefined;
  readonly elapsedMs: number | undefined;
  /** For `blocked`: the stuck or failed guest that kept it from stopping. */
  readonly blockedBy: string | undefined;
  /** One line for people. */
  readonly detail: string;
  /** Epoch ms its stop began (undefined for a stop that never began). */
  readonly startedAt?: number | undefined;
  /** Each ladder step taken, with the epoch ms it began: the timeline of docs/ui.md splits a bar by them. */
  readonly steps?: readonly LadderStepTime[];
}

export interface LadderStepTime {
  readonly step: StopStep;
  readonly at: number;
}

export interface ShutdownStopHooks {
  onGuestStart?(step: ShutdownStep): void;
  onLadderStep?(guest: string, step: StopStep): void;
  onGuestEnd?(result: GuestShutdownResult): void;
}

export interface StopAllOptions {
  readonly plan: ShutdownPlan;
  readonly guests: readonly GuestSpec[];
  readonly running: readonly ObservedGuest[];
  readonly unmanaged: readonly UnmanagedProcess[];
  readonly runtime: RuntimePort;
  /** Ladder for running guests without a manifest and for unmanaged qvm processes. */
  readonly fallbackShutdown: ShutdownSpec;
  /** @default Infinity (a stop ladder mostly waits; the deadline matters more than the load) */
  readonly concurrency?: number;
  readonly hooks?: ShutdownStopHooks;
}

/** What a graph node resolves with: `gone` as soon as the qvm process has ended, else the ladder's outcome. */
type Outcome = StopOutcome | 'gone';

interface StopNode extends ShutdownStep {
  readonly id: string;
  readonly needs: readonly string[];
}

export async function stopAll(options: StopAllOptions): Promise<GuestShutdownResult[]> {
  const { plan, runtime, hooks = {} } = options;
  const specs = new Map(options.guests.map((spec) => [spec.name, spec]));
  const running = new Map(options.running.map((guest) => [guest.name, guest]));
  const unmanaged = new Map(options.unmanaged.map((p) => [`pid:${p.pid}`, p]));
  const nodes: StopNode[] = plan.waves.flat().map((step) => ({ ...step, id: step.guest, needs: step.after }));

  // A dependency may stop as soon as its dependents' qvm are gone; their exit records come later.
  const full = new Map<string, Promise<StopOutcome>>();
  const ended = new Map<string, NodeResult<Outcome>>();
  const stepTimes = new Map<string, LadderStepTime[]>();
  const report = (node: StopNode, result: NodeResult<StopOutcome>): void => {
    hooks.onGuestEnd?.(toGuestResult(node, result, (id) => rootBlocker(id, ended), stepTimes.get(node.id)));
    crashPoint('shutdown:after-some-stopped');
  };

  const run = async (node: StopNode): Promise<{ ok: boolean; outcome: Outcome }> => {
    let gone!: () => void;
    const goneSignal = new Promise<'gone'>((resolve) => { gone = () => { resolve('gone'); }; });
    const steps: LadderStepTime[] = [];
    stepTimes.set(node.id, steps);
    const ladderHooks = {
      onStep: (step: StopStep) => {
        steps.push({ step, at: Date.now() });
        hooks.onLadderStep?.(node.guest, step);
      },
      onGone: () => { gone(); },
    };
    const startedAt = Date.now();
    const stopping = startStop(node, ladderHooks);
    full.set(node.id, stopping);
    void stopping.then((outcome) => {
      report(node, { id: node.id, status: outcome.result === 'stopped' ? 'done' : 'failed', outcome, error: undefined, blockedBy: undefined, startedAt, endedAt: Date.now() });
    }, () => undefined);
    const first = await Promise.race([stopping, goneSignal]);
    return { ok: first === 'gone' || first.result === 'stopped', outcome: first };
  };

  const startStop = (node: StopNode, ladderHooks: StopHooks): Promise<StopOutcome> => {
    if (node.kind === 'unmanaged') {
      const process = unmanaged.get(node.guest);
      if (process === undefined) return Promise.reject(new Error(`no unmanaged qvm ${node.guest}`));
      return runtime.stopUnmanaged(process, options.fallbackShutdown, ladderHooks);
    }
    const guest = running.get(node.guest);
    if (guest === undefined) return Promise.reject(new Error(`guest ${node.guest} is not running`));
    return runtime.stop(node.guest, specs.get(node.guest)?.shutdown ?? options.fallbackShutdown, guest, ladderHooks);
  };

  const results = await runGraph<StopNode, Outcome>({
    nodes,
    run,
    concurrency: options.concurrency ?? Number.POSITIVE_INFINITY,
    hooks: {
      onStart: (node) => hooks.onGuestStart?.(node),
      onEnd: (node, result) => {
        ended.set(node.id, result);
        // Stops that ran are reported once their outcome (with the exit record) is in.
        if (result.status === 'skipped' || result.error !== undefined) report(node, { ...result, outcome: undefined });
      },
    },
  });
  const stopped: GuestShutdownResult[] = [];
  for (const node of nodes) {
    const result = results.get(node.id);
    if (result === undefined) throw new Error(`no result for ${node.id}`);
    const outcome = await full.get(node.id)?.catch(() => undefined);
    stopped.push(toGuestResult(node, { ...result, outcome }, (id) => rootBlocker(id, results), stepTimes.get(node.id)));
  }
  const left = plan.left.map((p): GuestShutdownResult => ({
    guest: `pid:${p.pid}`, kind: 'unmanaged', pid: p.pid, end: 'left', step: undefined, exitCode: undefined, elapsedMs: undefined,
    blockedBy: undefined, detail: 'unmanaged qvm left running (shutdown.unmanaged: leave)',
  }));
  return [...stopped, ...left];
}

// A skipped stop was blocked by a dependent that was itself skipped or stuck: name the one that stuck.
function rootBlocker(id: string, results: ReadonlyMap<string, NodeResult<Outcome>>): string {
  let at = id;
  for (let result = results.get(at); result?.status === 'skipped' && result.blockedBy !== undefined; result = results.get(at)) at = result.blockedBy;
  return at;
}

function toGuestResult(node: StopNode, result: NodeResult<StopOutcome | undefined>, blocker: (id: string) => string, steps: readonly LadderStepTime[] | undefined): GuestShutdownResult {
  const timing = result.startedAt === undefined ? {} : { startedAt: result.startedAt, steps: [...(steps ?? [])] };
  const base = { guest: node.guest, kind: node.kind, pid: node.pid, ...timing };
  const outcome = result.outcome;
  if (result.status === 'skipped') {
    const by = blocker(result.blockedBy ?? node.id);
    return { ...base, end: 'blocked', step: undefined, exitCode: undefined, elapsedMs: undefined, blockedBy: by, detail: `not stopped: ${by} depends on it and did not stop` };
  }
  if (outcome === undefined) {
    return { ...base, end: 'failed', step: undefined, exitCode: undefined, elapsedMs: undefined, blockedBy: undefined, detail: result.error?.message ?? 'failed' };
  }
  if (outcome.result === 'stuck') {
    return { ...base, end: 'stuck', step: outcome.lastStep === 'none' ? undefined : outcome.lastStep, exitCode: undefined, elapsedMs: outcome.elapsedMs, blockedBy: undefined, detail: describeStuck(outcome.lastStep) };
  }
  const code = outcome.exit?.code;
  const exit = code === undefined ? '' : code === null ? `, ended by ${outcome.exit?.signal ?? 'a signal'}` : `, exit ${code}`;
  return { ...base, end: 'stopped', step: outcome.step, exitCode: code, elapsedMs: outcome.elapsedMs, blockedBy: undefined, detail: `stopped by ${describeStep(outcome.step)}${exit}` };
}

