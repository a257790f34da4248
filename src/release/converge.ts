// What a release converges to, and whether the host has got there (docs/fleet.md, "Phases"). Pure.

import type { GuestHistory, Observation } from '../model/observed.js';
import type { DesiredState } from '../model/host-spec.js';
import type { Plan } from '../model/plan.js';
import { classifyExit } from '../planner/exit-policy.js';
import { describeExit } from '../render/exit-meaning.js';

/**
 * The release's desired state, plus every guest of the releases it replaces that it does not
 * have, as `state: stopped` with its own shutdown: a release is the whole desired state, so a guest
 * it drops is stopped (in dependency order, by its own ladder), whatever prune says; and a rollback
 * stops what the release being rolled back added.
 */
export function releaseTarget(target: DesiredState, replaced: readonly (DesiredState | undefined)[]): DesiredState {
  const names = new Set(target.guests.map((g) => g.name));
  const dropped = new Map<string, DesiredState['guests'][number]>();
  for (const other of replaced) {
    for (const g of other?.guests ?? []) if (!names.has(g.name) && !dropped.has(g.name)) dropped.set(g.name, { ...g, state: 'stopped' });
  }
  // A dropped guest's dependencies may have gone too: keep only those still known.
  const known = new Set([...names, ...dropped.keys()]);
  const stopped = [...dropped.values()].map((g) => ({ ...g, dependsOn: g.dependsOn.filter((d) => known.has(d)) }));
  return { ...target, guests: [...target.guests, ...stopped].sort((a, b) => a.name.localeCompare(b.name)) };
}

export interface VerifyInput {
  readonly desired: DesiredState;
  readonly observation: Observation;
  readonly histories: ReadonlyMap<string, GuestHistory>;
  readonly plan: Plan;
  /** The pid each guest was first seen with during this verification (updated by the check). */
  readonly seen: Map<string, number>;
  readonly now: number;
  /** How long each guest must have run ready, with the release's configuration. */
  readonly stableMs: number;
}

export interface VerifyCheck {
  /** Every guest as the release says, ready and up long enough. */
  readonly done: boolean;
  /** What cannot come right by waiting: the release failed verification. */
  readonly failed: readonly string[];
  /** What is not there yet. */
  readonly waiting: readonly string[];
}

/**
 * One look against the release: a guest that should run and does not, runs another configuration,
 * or ran as another process than at the first look (it exited and was started again) fails it at
 * once; one that is not ready yet, or has not run `stableMs` yet, is waited for.
 */
export function checkRelease(input: VerifyInput): VerifyCheck {
  const { desired, observation, plan, seen, now, stableMs } = input;
  const running = new Map(observation.guests.map((g) => [g.name, g]));
  const holds = new Map(plan.holds.map((h) => [h.guest, h.detail]));
  const failed: string[] = [];
  const waiting: string[] = [];
  const why = (name: string): string => {
    const hold = holds.get(name);
    const exit = input.histories.get(name)?.lastExit;
    const spec = desired.guests.find((g) => g.name === name);
    const ended = exit === undefined ? '' : `, last exit ${describeExit({ code: exit.code, signal: exit.signal, meaning: classifyExit(exit, spec), unrecorded: exit.unrecorded })}`;
    return `${ended}${hold === undefined ? '' : ` (${hold})`}`;
  };
  for (const spec of desired.guests) {
    const g = running.get(spec.name);
    if (spec.state === 'stopped') {
      if (g !== undefined) failed.push(`${spec.name} runs (pid ${g.pid}) but should be stopped${why(spec.name)}`);
      continue;
    }
    if (g === undefined) {
      failed.push(`${spec.name} is not running${why(spec.name)}`);
      continue;
    }
    const first = seen.get(spec.name);
    if (first !== undefined && first !== g.pid) {
      failed.push(`${spec.name} exited during verification and runs again as pid ${g.pid} (was ${first})${why(spec.name)}`);
      continue;
    }
    seen.set(spec.name, g.pid);
    if (g.configHash !== spec.configHash) {
      failed.push(`${spec.name} runs another configuration than this release's${why(spec.name)}`);
      continue;
    }
    if (!g.ready) {
      waiting.push(`${spec.name} is not ready yet`);
      continue;
    }
    const up = now - g.startedAt;
    if (up < stableMs) waiting.push(`${spec.name} has run ${(up / 1000).toFixed(1)} s of ${(stableMs / 1000).toFixed(1)} s`);
  }
  return { done: failed.length === 0 && waiting.length === 0, failed, waiting };
}
