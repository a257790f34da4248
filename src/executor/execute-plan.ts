// Runs a plan against the runtime: each change becomes a stop half and/or a start half, ordered by
// the plan's edges (`stopAfter`, `startAfter`), run in parallel up to the concurrency limit. A start
// counts as done only once the guest is ready; a stop only once qvm has ended.

import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { Change, Plan } from '../model/plan.js';
import type { RuntimePort, StopOutcome, StopStep } from '../runtime/port.js';
import { runGraph, type GraphNode, type NodeResult } from './run-graph.js';

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
}

interface Step extends GraphNode, StepRef {
  readonly change: Change;
}

interface StepOutcome {
  readonly detail: string;
  readonly stop?: StopOutcome;
  readonly started?: ObservedGuest;
}

export async function executePlan(options: ExecutePlanOptions): Promise<ExecutionResult> {
  const { plan, hooks = {} } = options;
  const specs = new Map(options.guests.map((spec) => [spec.name, spec]));
  const running = new Map(options.running.map((guest) => [guest.name, guest]));
  const steps = toSteps(plan.changes);
  const startsInPlan = new Set(steps.filter((s) => s.kind === 'start').map((s) => s.guest));

  const run = async (step: Step): Promise<{ ok: boolean; outcome: StepOutcome }> => {
    if (step.kind === 'stop') {
      const guest = running.get(step.guest);
      if (guest === undefined) return { ok: true, outcome: { detail: 'not running' } };
      const shutdown = specs.get(step.guest)?.shutdown ?? options.fallbackShutdown;
      const stop = await options.runtime.stop(step.guest, shutdown, guest, {
        onStep: (ladderStep) => hooks.onLadderStep?.(step.guest, ladderStep),
      });
      if (stop.result === 'stuck') return { ok: false, outcome: { detail: `stuck after ${ladderLabel(stop.lastStep)}: still running`, stop } };
      running.delete(step.guest);
      return { ok: true, outcome: { detail: `by ${ladderLabel(stop.step)}`, stop } };
    }
    const spec = specs.get(step.guest);
    if (spec === undefined) return { ok: false, outcome: { detail: 'no manifest for this guest' } };
    const blocker = await firstUnreadyDependency(spec, startsInPlan, specs, running, options.runtime);
    if (blocker !== undefined) return { ok: false, outcome: { detail: blocker } };
    const started = await options.runtime.start(spec);
    running.set(spec.name, started);
    const ready = await options.runtime.waitReady(spec, started);
    return ready
      ? { ok: true, outcome: { detail: `pid ${started.pid}, ready`, started } }
      : { ok: false, outcome: { detail: `started (pid ${started.pid}) but not ready`, started } };
  };

  const results = await runGraph<Step, StepOutcome>({
    nodes: steps,
    run,
    concurrency: options.concurrency,
    hooks: {
      onStart: (step) => hooks.onStepStart?.({ guest: step.guest, kind: step.kind }),
      onEnd: (step, result) => hooks.onStepEnd?.(toStepResult(step, result)),
    },
  });
  const stepResults = steps.map((step) => {
    const result = results.get(step.id);
    if (result === undefined) throw new Error(`step ${step.id} has no result`);
    return toStepResult(step, result);
  });
  const failed = [...new Set(stepResults.filter((r) => r.status === 'failed').map((r) => r.guest))];
  const stuck = stepResults.filter((r) => r.stop?.result === 'stuck').map((r) => r.guest);
  return { steps: stepResults, failed, stuck, ok: failed.length === 0 && stepResults.every((r) => r.status === 'done') };
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
): Promise<string | undefined> {
  for (const name of spec.dependsOn) {
    if (startsInPlan.has(name)) continue;
    const dependency = running.get(name);
    const dependencySpec = specs.get(name);
    if (dependency === undefined || dependencySpec === undefined) return `dependency ${name} is not running`;
    if (!dependency.ready && !(await runtime.waitReady(dependencySpec, dependency))) return `dependency ${name} is not ready`;
  }
  return undefined;
}

function toStepResult(step: Step, result: NodeResult<StepOutcome>): StepResult {
  const elapsedMs = result.startedAt !== undefined && result.endedAt !== undefined ? result.endedAt - result.startedAt : undefined;
  const detail = result.status === 'skipped'
    ? `skipped: ${result.blockedBy ?? 'a step before it'} did not succeed`
    : result.error !== undefined ? result.error.message : result.outcome?.detail ?? '';
  return { guest: step.guest, kind: step.kind, status: result.status, detail, stop: result.outcome?.stop, started: result.outcome?.started, elapsedMs };
}

function ladderLabel(step: StopStep | 'already-gone'): string {
  switch (step) {
    case 'guest-command': return 'the guest shutdown command';
    case 'power-button': return 'the power button (SIGTERM)';
    case 'power-cut': return 'the power cut (SIGQUIT)';
    case 'already-gone': return 'itself before any step';
  }
}
