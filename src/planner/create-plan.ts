// The planner: desired state + observed processes + history + policy → Plan. Pure and
// deterministic: no I/O, no clock (`policy.now`), no randomness; every tie is broken by name.

import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Action, Change, Hold, Plan } from '../model/plan.js';
import { compareNames } from '../model/order.js';
import { createGraph, groupWaves, orderTopologically } from './graph.js';
import { decideGuest, type Decision } from './guest-decision.js';
import { decidePrunes } from './prune.js';
import { fallbackShutdown, summarizeLadder } from './shutdown-plan.js';

export interface PlanInput {
  /** Last good desired state. */
  readonly desired: DesiredState;
  /** Verified qvm processes, by guest name. */
  readonly running: readonly ObservedGuest[];
  readonly histories: ReadonlyMap<string, GuestHistory>;
  /** Running guests with no manifest → epoch ms first seen missing (for the prune grace). */
  readonly orphans: ReadonlyMap<string, number>;
  /** qvm processes no guest explains: a guest whose system name one of them runs is not started. */
  readonly unmanaged?: readonly UnmanagedProcess[];
  readonly policy: PlanPolicy;
}

export interface PlanPolicy {
  /** Epoch ms. */
  readonly now: number;
  /** An operator's `apply` (manual updates allowed, stay-stopped lifted) rather than the daemon. */
  readonly explicit: boolean;
  /** Host shutdown under way: no starts, no restarts; stops still allowed. */
  readonly fenced: boolean;
  /** False when the manifest directory is empty or unreadable: never prune. */
  readonly manifestsTrusted: boolean;
}

type ChangeAction = Exclude<Action, 'none'>;
const hasStopHalf = (action: ChangeAction | undefined): boolean => action === 'stop' || action === 'restart';
const hasStartHalf = (action: ChangeAction | undefined): boolean => action === 'start' || action === 'restart';

// Unique by name (first wins), sorted: the planner never depends on input order.
function indexByName<T extends { readonly name: string }>(items: readonly T[], tieBreak: (a: T, b: T) => number): Map<string, T> {
  const sorted = [...items].sort((a, b) => compareNames(a.name, b.name) || tieBreak(a, b));
  const index = new Map<string, T>();
  for (const item of sorted) if (!index.has(item.name)) index.set(item.name, item);
  return index;
}

// Throws DependencyCycleError (from the graph) when the desired state has a cycle.
export function createPlan(input: PlanInput): Plan {
  const { desired, policy } = input;
  const specs = indexByName<GuestSpec>(desired.guests, () => 0);
  const running = indexByName<ObservedGuest>(input.running, (a, b) => a.pid - b.pid);
  // Removed guests are nodes too (no dependencies), so a guest naming one stops before it is pruned.
  const removed = [...running.values()].filter((g) => !specs.has(g.name)).map((g) => g.name);
  const graph = createGraph([...specs.values(), ...removed.map((name) => ({ name, dependsOn: [] }))]);
  const decisions = new Map<string, Decision>();
  const actionOf = (name: string): ChangeAction | undefined => {
    const decision = decisions.get(name);
    return decision?.kind === 'change' ? decision.action : undefined;
  };
  const willRun = (name: string): boolean => {
    if (!specs.has(name)) return false;
    const action = actionOf(name);
    if (action !== undefined) return hasStartHalf(action);
    return running.has(name);
  };

  const prunes = decidePrunes({
    names: removed,
    prune: desired.host.prune,
    orphans: input.orphans,
    now: policy.now,
    manifestsTrusted: policy.manifestsTrusted,
    runningCount: running.size,
  });
  for (const [name, prune] of prunes) {
    decisions.set(name, prune.kind === 'stop' ? { kind: 'change', action: 'stop', reason: 'removed', detail: prune.detail } : prune);
  }

  const systemsInUse = systemsOf(input.unmanaged ?? []);
  for (const name of orderTopologically(graph)) {
    const spec = specs.get(name);
    if (spec === undefined) continue;
    decisions.set(name, decideGuest({
      spec,
      observed: running.get(name),
      systemInUse: systemsInUse.get(spec.system),
      history: input.histories.get(name),
      dependencies: [...new Set(spec.dependsOn)].sort(compareNames),
      actionOf,
      willRun,
      windows: desired.host.maintenanceWindows,
      now: policy.now,
      explicit: policy.explicit,
      fenced: policy.fenced,
    }));
  }

  const fallback = fallbackShutdown(desired.host);
  const shutdownOf = (name: string): ShutdownSpec => specs.get(name)?.shutdown ?? fallback;
  return assemblePlan({ decisions, actionOf, dependencies: graph.dependencies, dependents: graph.dependents, shutdownOf });
}

/** The unmanaged qvm that runs each system name (the lowest PID where several do). */
export function systemsOf(unmanaged: readonly UnmanagedProcess[]): Map<string, UnmanagedProcess> {
  const bySystem = new Map<string, UnmanagedProcess>();
  for (const process of [...unmanaged].sort((a, b) => a.pid - b.pid)) {
    if (process.system !== undefined && !bySystem.has(process.system)) bySystem.set(process.system, process);
  }
  return bySystem;
}

export interface AssembleInput {
  readonly decisions: ReadonlyMap<string, Decision>;
  readonly actionOf: (name: string) => ChangeAction | undefined;
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** The stop ladder of each guest, for the stop halves' summaries. */
  readonly shutdownOf: (name: string) => ShutdownSpec;
}

// Edges (see Change), waves and the requeue time from the per-guest decisions.
export function assemblePlan({ decisions, actionOf, dependencies, dependents, shutdownOf }: AssembleInput): Plan {
  const changes: Change[] = [];
  const holds: Hold[] = [];
  for (const name of [...decisions.keys()].sort(compareNames)) {
    const decision = decisions.get(name);
    if (decision === undefined || decision.kind === 'none') continue;
    if (decision.kind === 'hold') {
      holds.push({ guest: name, reason: decision.reason, detail: decision.detail, until: decision.until });
      continue;
    }
    const stopAfter = hasStopHalf(decision.action) ? (dependents.get(name) ?? []).filter((d) => hasStopHalf(actionOf(d))) : [];
    const startAfter = hasStartHalf(decision.action) ? (dependencies.get(name) ?? []).filter((d) => hasStartHalf(actionOf(d))) : [];
    const after = [...new Set([...stopAfter, ...startAfter])].sort(compareNames);
    const stopLadder = hasStopHalf(decision.action) ? { stopLadder: summarizeLadder(shutdownOf(name)) } : {};
    changes.push({ guest: name, action: decision.action, reason: decision.reason, detail: decision.detail, after, stopAfter, startAfter, ...stopLadder });
  }
  const byGuest = new Map(changes.map((c) => [c.guest, c]));
  const stopWaves = groupWaves(changes.filter((c) => hasStopHalf(c.action)).map((c) => c.guest), (g) => byGuest.get(g)?.stopAfter ?? []);
  const startWaves = groupWaves(changes.filter((c) => hasStartHalf(c.action)).map((c) => c.guest), (g) => byGuest.get(g)?.startAfter ?? []);
  const untils = holds.map((h) => h.until).filter((u): u is number => u !== undefined);
  return {
    changes,
    holds,
    waves: [...stopWaves, ...startWaves],
    stopWaveCount: stopWaves.length,
    requeueAt: untils.reduce<number | undefined>((min, u) => (min === undefined || u < min ? u : min), undefined),
  };
}
