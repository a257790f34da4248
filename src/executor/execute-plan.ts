// Runs a plan against the runtime: each change becomes a stop half and/or a start half, ordered by
// the plan's edges (`stopAfter`, `startAfter`), run in parallel up to the concurrency limit. A start
// counts as done only once the guest is ready; a stop only once qvm has ended.
// Once the pass's signal fires (the shutdown fence went up: docs/shutdown.md, "Shutdown preempts"),
// nothing new begins and readiness waits end at once; stop ladders already under way run to their end.

import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { Change, Plan } from '../model/plan.js';
import { crashPoint } from '../runtime/crash-point.js';
import { FencedError } from '../runtime/errors.js';
import type { RuntimePort, StopOutcome, StopStep } from '../runtime/port.js';
import { FenceRaisedError } from './fence-watch.js';
import { runGraph, type GraphNode, type NodeResult } from './run-graph.js';
import { describeStep, describeStuck } from './ladder-words.js';

export type StepKind = 'stop' | 'start';

export interface StepRef {
  readonly guest: string;
  readonly kind: StepKind;
}

export interface StepResult extends StepRef {
  readonly status: 'done' | 'failed' | 'skipped';
  /** One line for people: how it ended, or why it failed or was skipped. */
  readonly detail: string;
  readonly stop: StopOutcome | undefined;
  readonly started: ObservedGuest | undefined;
  readonly elapsedMs: number | undefined;
  /** The fence (or the pass's signal) kept this step from beginning, or cut its readiness wait short. */
  readonly fenced?: boolean;
}

export interface ExecutionHooks {
  onStepStart?(step: StepRef): void;
  onLadderStep?(guest: string, step: StopStep): void;
  onStepEnd?(result: StepResult): void;
}

export interface ExecutionResult {
  readonly steps: readonly StepResult[];
  readonly failed: readonly string[];
  /** Guests whose stop ladder ran out of allowed steps: still running, the operator must act. */
  readonly stuck: readonly string[];
  /** Steps the fence (or the pass's signal) kept from beginning or cut short; empty when none. */
  readonly fenced?: readonly StepRef[];
  readonly ok: boolean;
}

export interface ExecutePlanOptions {
  readonly plan: Plan;
  readonly guests: readonly GuestSpec[];
  /** The running guests the plan was made from. */
  readonly running: readonly ObservedGuest[];
  readonly runtime: RuntimePort;
  readonly concurrency: number;
  /** Ladder for guests that have no manifest any more (prune). */
  readonly fallbackShutdown: ShutdownSpec;
  readonly hooks?: ExecutionHooks;
  /** Fires when the pass must end early (the fence went up): nothing new begins, readiness waits end. */
  readonly signal?: AbortSignal;
}

interface Step extends GraphNode, StepRef {
  readonly change: Change;
}

interface StepOutcome {
  readonly detail: string;
  readonly stop?: StopOutcome;
  readonly started?: ObservedGuest;
  /** Cut short by the pass's signal or the runtime's fence: `not-begun` (nothing done) or `cut` (readiness). */
  readonly fenced?: 'not-begun' | 'cut';
}

export async function executePlan(options: ExecutePlanOptions): Promise<ExecutionResult> {
  const { plan, hooks = {} } = options;
  const specs = new Map(options.guests.map((spec) => [spec.name, spec]));
  const running = new Map(options.running.map((guest) => [guest.name, guest]));
  const steps = toSteps(plan.changes);
  const startsInPlan = new Set(steps.filter((s) => s.kind === 'start').map((s) => s.guest));

  const { signal } = options;
  const notBegun = (step: Step): { ok: boolean; outcome: StepOutcome } =>
    ({ ok: false, outcome: { detail: notBegunDetail(step.kind, signal), fenced: 'not-begun' } });

  const run = async (step: Step): Promise<{ ok: boolean; outcome: StepOutcome }> => {
    if (isCut(signal)) return notBegun(step);
    if (step.kind === 'stop') {
      const guest = running.get(step.guest);
      if (guest === undefined) return { ok: true, outcome: { detail: 'not running' } };
      const shutdown = specs.get(step.guest)?.shutdown ?? options.fallbackShutdown;
      if (step.change.reason === 'removed') crashPoint('prune:before-stop');
      // A ladder once begun runs to its end, whatever the signal says (docs/shutdown.md).
      const stop = await options.runtime.stop(step.guest, shutdown, guest, {
        onStep: (ladderStep) => hooks.onLadderStep?.(step.guest, ladderStep),
      });
      if (stop.result === 'stuck') return { ok: false, outcome: { detail: describeStuck(stop.lastStep), stop } };
      running.delete(step.guest);
      if (step.change.action === 'restart') crashPoint('restart:after-stop');
      return { ok: true, outcome: { detail: `by ${describeStep(stop.step)}`, stop } };
    }
    const spec = specs.get(step.guest);
    if (spec === undefined) return { ok: false, outcome: { detail: 'no manifest for this guest' } };
    const blocker = await firstUnreadyDependency(spec, startsInPlan, specs, running, options.runtime, signal);
    if (isCut(signal)) return notBegun(step);
    if (blocker !== undefined) return { ok: false, outcome: { detail: blocker } };
    let started: ObservedGuest;
    try {
      started = await options.runtime.start(spec);
    } catch (error) {
      // The runtime's own check under the start lock: the last line (docs/shutdown.md).
      if (error instanceof FencedError) return { ok: false, outcome: { detail: 'not started: fence up', fenced: 'not-begun' } };
      throw error;
    }
    running.set(spec.name, started);
    const ready = await options.runtime.waitReady(spec, started, signal);
    if (ready) return { ok: true, outcome: { detail: `pid ${started.pid}, ready`, started } };
    if (isCut(signal)) {
      return { ok: false, outcome: { detail: `started (pid ${started.pid}), readiness wait cut short: ${cutReason(signal)}`, started, fenced: 'cut' } };
    }
    return { ok: false, outcome: { detail: `started (pid ${started.pid}) but not ready`, started } };
  };

  // Each result is worded once, as the step ends: whether the fence was up then is part of it.
  const ended = new Map<string, StepResult>();
  const results = await runGraph<Step, StepOutcome>({
    nodes: steps,
    run,
    concurrency: options.concurrency,
    hooks: {
      onStart: (step) => hooks.onStepStart?.({ guest: step.guest, kind: step.kind }),
      onEnd: (step, result) => {
        const stepResult = toStepResult(step, result, signal);
        ended.set(step.id, stepResult);
        hooks.onStepEnd?.(stepResult);
      },
    },
  });
  const stepResults = steps.map((step) => {
    const result = results.get(step.id);
    if (result === undefined) throw new Error(`step ${step.id} has no result`);
    return ended.get(step.id) ?? toStepResult(step, result, signal);
  });
  const failed = [...new Set(stepResults.filter((r) => r.status === 'failed').map((r) => r.guest))];
  const stuck = stepResults.filter((r) => r.stop?.result === 'stuck').map((r) => r.guest);
  const fenced = stepResults.filter((r) => r.fenced === true).map((r) => ({ guest: r.guest, kind: r.kind }));
  return { steps: stepResults, failed, stuck, fenced, ok: failed.length === 0 && stepResults.every((r) => r.status === 'done') };
}

// A restart is its stop half then its start half; the halves of other guests order them as the plan says.
function toSteps(changes: readonly Change[]): Step[] {
  const steps: Step[] = [];
  for (const change of changes) {
    const { guest } = change;
    if (change.action !== 'start') {
      steps.push({ id: `stop:${guest}`, guest, kind: 'stop', change, needs: change.stopAfter.map((g) => `stop:${g}`) });
    }
    if (change.action !== 'stop') {
      const own = change.action === 'restart' ? [`stop:${guest}`] : [];
      steps.push({ id: `start:${guest}`, guest, kind: 'start', change, needs: [...own, ...change.startAfter.map((g) => `start:${g}`)] });
    }
  }
  return steps;
}

// Dependencies outside this plan must already run and be ready; this is the readiness gate for them.
async function firstUnreadyDependency(
  spec: GuestSpec,
  startsInPlan: ReadonlySet<string>,
  specs: ReadonlyMap<string, GuestSpec>,
  running: ReadonlyMap<string, ObservedGuest>,
  runtime: RuntimePort,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  for (const name of spec.dependsOn) {
    if (startsInPlan.has(name)) continue;
    const dependency = running.get(name);
    const dependencySpec = specs.get(name);
    if (dependency === undefined || dependencySpec === undefined) return `dependency ${name} is not running`;
    if (!dependency.ready && !(await runtime.waitReady(dependencySpec, dependency, signal))) return `dependency ${name} is not ready`;
  }
  return undefined;
}

// A step the fence kept from beginning is `skipped` (nothing was done), like a step whose need
// failed; once the signal has fired, such a step says so rather than blame the step before it.
function toStepResult(step: Step, result: NodeResult<StepOutcome>, signal: AbortSignal | undefined): StepResult {
  const elapsedMs = result.startedAt !== undefined && result.endedAt !== undefined ? result.endedAt - result.startedAt : undefined;
  const cutBefore = result.status === 'skipped' && signal?.aborted === true;
  const fenced = result.outcome?.fenced !== undefined || cutBefore;
  const status = result.outcome?.fenced === 'not-begun' ? 'skipped' : result.status;
  const detail = cutBefore
    ? notBegunDetail(step.kind, signal)
    : result.status === 'skipped'
      ? `skipped: ${result.blockedBy ?? 'a step before it'} did not succeed`
      : result.error !== undefined ? result.error.message : result.outcome?.detail ?? '';
  return { guest: step.guest, kind: step.kind, status, detail, stop: result.outcome?.stop, started: result.outcome?.started, elapsedMs, ...(fenced ? { fenced } : {}) };
}

function notBegunDetail(kind: StepKind, signal: AbortSignal | undefined): string {
  return `${kind === 'start' ? 'not started' : 'not begun'}: ${cutReason(signal)}`;
}

// A function, not `signal?.aborted` inline: the signal may fire during any await in between.
function isCut(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Why the pass's signal fired, in a few words. */
function cutReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason === undefined || reason instanceof FenceRaisedError) return 'fence up';
  return reason instanceof Error ? reason.message : 'cancelled';
}

