// The host shutdown sequence as data: which guests stop in which wave (dependents first), each
// guest's worst-case stop budget, and the worst case along the critical path. Pure.

import type { ShutdownSpec } from '../model/guest-spec.js';
import type { DesiredState, HostSpec, UnmanagedPolicy } from '../model/host-spec.js';
import type { StopLadderSummary } from '../model/plan.js';
import type { ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import { compareNames } from '../model/order.js';
import { createGraph, groupWaves } from './graph.js';

export interface ShutdownStep {
  /** Guest name; for an unmanaged qvm `pid:<pid>`. */
  readonly guest: string;
  readonly kind: 'managed' | 'removed' | 'unmanaged';
  readonly pid: number;
  /** Sum of the ladder timeouts that apply (guest command, power button, power cut if allowed). */
  readonly budgetMs: number;
  readonly ladder: StopLadderSummary;
  /** Running guests whose stops come first (its dependents). */
  readonly after: readonly string[];
}

export interface ShutdownPlan {
  readonly waves: readonly (readonly ShutdownStep[])[];
  /** Worst-case time to stop everything: the heaviest chain of budgets through the `after` edges. */
  readonly criticalPathMs: number;
  /** The guests on that chain, first stopped first. */
  readonly criticalPath: readonly string[];
  readonly deadlineMs: number;
  readonly withinDeadline: boolean;
  /** Unmanaged qvm processes left running (`unmanaged: leave`). */
  readonly left: readonly UnmanagedProcess[];
  /** Unmanaged qvm processes that make the sequence refuse to run (`unmanaged: refuse`). */
  readonly refused: readonly UnmanagedProcess[];
}

export interface ShutdownPlanInput {
  readonly desired: DesiredState;
  readonly running: readonly ObservedGuest[];
  readonly unmanaged: readonly UnmanagedProcess[];
  /** Ladder used for running guests without a manifest and for unmanaged qvm processes. */
  readonly fallbackShutdown: ShutdownSpec;
}

// Worst case of one stop ladder: every step that applies runs into its timeout. The power button is
// pressed only where it is graceful (docs/shutdown.md, "The power button per guest").
export function computeStopBudgetMs(shutdown: ShutdownSpec): number {
  return (shutdown.guestCommand === undefined ? 0 : shutdown.guestTimeoutMs)
    + (shutdown.powerButton === 'graceful' ? shutdown.powerButtonTimeoutMs : 0)
    + (shutdown.allowPowerCut ? shutdown.powerCutTimeoutMs : 0);
}

/**
 * Ladder for a guest whose manifest is gone (we no longer know its own) and for unmanaged qvm: the
 * power button only, and not even that on an aarch64 host, where it would be a power cut that no
 * manifest allowed (docs/shutdown.md, "The power button per guest").
 */
export function fallbackShutdown(host: Pick<HostSpec, 'arch'>): ShutdownSpec {
  const abrupt = host.arch === 'aarch64';
  return {
    guestCommand: undefined,
    guestTimeoutMs: 0,
    powerButtonTimeoutMs: 60_000,
    powerButton: abrupt ? 'abrupt' : 'graceful',
    powerButtonBasis: abrupt ? 'aarch64 host: ARM has no standard power-button notification' : 'no manifest says otherwise',
    allowPowerCut: false,
    powerCutTimeoutMs: 0,
  };
}

export function summarizeLadder(shutdown: ShutdownSpec): StopLadderSummary {
  return { steps: describeLadder(shutdown), powerButton: shutdown.powerButton, ...(shutdown.powerButtonBasis === undefined ? {} : { powerButtonBasis: shutdown.powerButtonBasis }) };
}

/** The steps one ladder takes, for plans and dry runs: `guest command → power cut`, or `nothing`. */
export function describeLadder(shutdown: ShutdownSpec): string {
  const steps = [
    ...(shutdown.guestCommand === undefined ? [] : ['guest command']),
    ...(shutdown.powerButton === 'graceful' ? ['power button'] : []),
    ...(shutdown.allowPowerCut ? ['power cut'] : []),
  ];
  return steps.length === 0 ? 'nothing' : steps.join(' → ');
}

function splitUnmanaged(unmanaged: readonly UnmanagedProcess[], policy: UnmanagedPolicy): { stop: UnmanagedProcess[]; left: UnmanagedProcess[]; refused: UnmanagedProcess[] } {
  const sorted = [...unmanaged].sort((a, b) => a.pid - b.pid);
  return { stop: policy === 'stop' ? sorted : [], left: policy === 'leave' ? sorted : [], refused: policy === 'refuse' ? sorted : [] };
}

export function createShutdownPlan({ desired, running, unmanaged, fallbackShutdown }: ShutdownPlanInput): ShutdownPlan {
  const specs = new Map(desired.guests.map((g) => [g.name, g]));
  const alive = new Map([...running].sort((a, b) => compareNames(a.name, b.name) || a.pid - b.pid).reverse().map((g) => [g.name, g]));
  const graph = createGraph([...alive.keys()].map((name) => ({ name, dependsOn: specs.get(name)?.dependsOn ?? [] })));
  const split = splitUnmanaged(unmanaged, desired.host.shutdown.unmanaged);
  const steps = new Map<string, ShutdownStep>();
  for (const [name, guest] of alive) {
    const spec = specs.get(name);
    steps.set(name, {
      guest: name,
      kind: spec === undefined ? 'removed' : 'managed',
      pid: guest.pid,
      budgetMs: computeStopBudgetMs(spec?.shutdown ?? fallbackShutdown),
      ladder: summarizeLadder(spec?.shutdown ?? fallbackShutdown),
      after: graph.dependents.get(name) ?? [],
    });
  }
  for (const process of split.stop) {
    const guest = `pid:${process.pid}`;
    steps.set(guest, { guest, kind: 'unmanaged', pid: process.pid, budgetMs: computeStopBudgetMs(fallbackShutdown), ladder: summarizeLadder(fallbackShutdown), after: [] });
  }
  const waves = groupWaves([...steps.keys()], (name) => steps.get(name)?.after ?? [])
    .map((wave) => wave.map((name) => steps.get(name)).filter((s): s is ShutdownStep => s !== undefined));
  const { totalMs, path } = findCriticalPath(waves, steps);
  return {
    waves,
    criticalPathMs: totalMs,
    criticalPath: path,
    deadlineMs: desired.host.shutdown.deadlineMs,
    withinDeadline: totalMs <= desired.host.shutdown.deadlineMs,
    left: split.left,
    refused: split.refused,
  };
}

// Longest chain of budgets, computed wave by wave (a step finishes after its slowest predecessor).
function findCriticalPath(waves: readonly (readonly ShutdownStep[])[], steps: ReadonlyMap<string, ShutdownStep>): { totalMs: number; path: string[] } {
  const finish = new Map<string, { at: number; via: string | undefined }>();
  let last: string | undefined;
  for (const wave of waves) {
    for (const step of wave) {
      let via: string | undefined;
      let start = 0;
      for (const pred of step.after) {
        const at = finish.get(pred)?.at ?? 0;
        if (at > start) [start, via] = [at, pred];
      }
      finish.set(step.guest, { at: start + step.budgetMs, via });
      if (last === undefined || start + step.budgetMs > (finish.get(last)?.at ?? 0)) last = step.guest;
    }
  }
  const path: string[] = [];
  for (let at = last; at !== undefined && steps.has(at); at = finish.get(at)?.via) path.unshift(at);
  return { totalMs: last === undefined ? 0 : (finish.get(last)?.at ?? 0), path };
}
