// Plans for an operator's one-off `start|stop|restart NAME`: the named guest plus whatever the
// dependency graph requires around it, ordered exactly like a reconcile plan (same Change edges).
// `start` brings up dependencies that are not running first; `stop` stops running dependents
// first; `restart` restarts running dependents around the guest.

import type { DesiredState } from '../model/host-spec.js';
import type { ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Action, Plan } from '../model/plan.js';
import { assemblePlan, systemsOf } from './create-plan.js';
import { collectDependencies, collectDependents, createGraph, type DependencyGraph } from './graph.js';
import { systemInUseDetail, type Decision } from './guest-decision.js';
import { fallbackShutdown } from './shutdown-plan.js';

export type OneOffAction = 'start' | 'stop' | 'restart';

export interface OneOffInput {
  readonly action: OneOffAction;
  readonly name: string;
  readonly desired: DesiredState;
  readonly running: readonly ObservedGuest[];
  /** qvm processes no guest explains: a guest whose system name one of them runs is not started. */
  readonly unmanaged?: readonly UnmanagedProcess[];
}

export class UnknownGuestError extends Error {
  override readonly name = 'UnknownGuestError';
  constructor(readonly guest: string) {
    super(`no guest named \`${guest}\` in the manifests`);
  }
}

export function createOneOffPlan(input: OneOffInput): Plan {
  const { action, name, desired } = input;
  if (!desired.guests.some((g) => g.name === name)) throw new UnknownGuestError(name);
  const graph = createGraph(desired.guests);
  const running = new Set(input.running.filter((g) => !g.stopping).map((g) => g.name));
  const decisions = new Map<string, Decision>();
  const change = (guest: string, act: Exclude<Action, 'none'>, reason: 'operator' | 'not-running' | 'dependency-stopping' | 'dependency-restarted', detail: string): void => {
    decisions.set(guest, { kind: 'change', action: act, reason, detail });
  };

  if (action === 'start') {
    if (!running.has(name)) change(name, 'start', 'operator', 'started by an operator');
    for (const dep of collectDependencies(graph, name)) if (!running.has(dep)) change(dep, 'start', 'not-running', `needed by ${name}`);
  } else if (action === 'stop') {
    if (running.has(name)) change(name, 'stop', 'operator', 'stopped by an operator');
    for (const dep of collectDependents(graph, name)) if (running.has(dep)) change(dep, 'stop', 'dependency-stopping', `depends on ${name}`);
  } else {
    change(name, running.has(name) ? 'restart' : 'start', 'operator', 'restarted by an operator');
    for (const dep of collectDependents(graph, name)) if (running.has(dep)) change(dep, 'restart', 'dependency-restarted', `depends on ${name}`);
    for (const dep of collectDependencies(graph, name)) if (!running.has(dep)) change(dep, 'start', 'not-running', `needed by ${name}`);
  }

  holdSystemsInUse(decisions, input, graph);
  return assemblePlan(planEdges(decisions, graph, desired));
}

/**
 * An operator's start is refused as a pass's is while another qvm runs the guest's system name;
 * what needs a guest so held is held too (it would start without its dependency).
 */
function holdSystemsInUse(decisions: Map<string, Decision>, input: OneOffInput, graph: DependencyGraph): void {
  const inUse = systemsOf(input.unmanaged ?? []);
  if (inUse.size === 0) return;
  const held = new Set<string>();
  for (const spec of input.desired.guests) {
    const decision = decisions.get(spec.name);
    const process = inUse.get(spec.system);
    if (decision?.kind !== 'change' || decision.action === 'stop' || process === undefined) continue;
    decisions.set(spec.name, { kind: 'hold', reason: 'system-in-use', detail: `${decision.action} refused: ${systemInUseDetail(spec.system, process)}`, until: undefined });
    held.add(spec.name);
  }
  for (const [name, decision] of decisions) {
    if (decision.kind !== 'change' || decision.action === 'stop') continue;
    const blocked = collectDependencies(graph, name).filter((dep) => held.has(dep)).sort();
    if (blocked.length > 0) decisions.set(name, { kind: 'hold', reason: 'dependency-not-running', detail: `waits for ${blocked.join(', ')} (not running)`, until: undefined });
  }
}

function planEdges(decisions: ReadonlyMap<string, Decision>, graph: DependencyGraph, desired: DesiredState): Parameters<typeof assemblePlan>[0] {
  const fallback = fallbackShutdown(desired.host);
  return {
    shutdownOf: (guest) => desired.guests.find((g) => g.name === guest)?.shutdown ?? fallback,
    decisions,
    actionOf: (guest) => {
      const decision = decisions.get(guest);
      return decision?.kind === 'change' ? decision.action : undefined;
    },
    dependencies: graph.dependencies,
    dependents: graph.dependents,
  };
}
