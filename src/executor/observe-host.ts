// Every look at the host that feeds a plan goes through here: observe, then fold the exits the
// monitors recorded into each guest's restart history. Folding is read → fold → persist →
// acknowledge: an exit is acknowledged (reported no more) only once the history that counts it is
// durable, and a history remembers the runs it has folded, so a crash between any two steps
// neither loses an exit nor counts one twice. A read-only look (`plan`, `status`) folds in memory
// and writes nothing.

import type { DesiredState } from '../model/host-spec.js';
import { emptyHistory, type GuestHistory, type Observation } from '../model/observed.js';
import { recordExit } from '../planner/exit-policy.js';
import { crashPoint } from '../runtime/crash-point.js';
import type { HostPort } from '../runtime/port.js';

/** Run ids a history remembers as folded: far more than exits can pile up between two passes. */
const FOLDED_RUNS_KEPT = 64;

export interface HostObservation {
  readonly observation: Observation;
  /** Restart history of every desired guest, with this observation's exits folded in. */
  readonly histories: ReadonlyMap<string, GuestHistory>;
}

export async function observeHost(options: {
  readonly runtime: HostPort;
  readonly desired: DesiredState;
  readonly persist: boolean;
  /** A look just taken, to fold instead of taking another. */
  readonly observation?: Observation;
}): Promise<HostObservation> {
  const { desired, runtime } = options;
  const observation = options.observation ?? (await runtime.observe());
  const specs = new Map(desired.guests.map((spec) => [spec.name, spec]));
  const histories = await runtime.state.loadHistories(desired.guests.map((spec) => spec.name));
  const changed = new Set<string>();
  for (const exit of observation.exits) {
    const spec = specs.get(exit.name);
    if (spec === undefined) continue;
    const history = histories.get(exit.name) ?? emptyHistory(exit.name);
    if (exit.runId !== undefined && history.foldedRuns?.includes(exit.runId) === true) continue;
    const folded = recordExit(history, exit, spec);
    histories.set(exit.name, exit.runId === undefined ? folded : { ...folded, foldedRuns: [...(history.foldedRuns ?? []), exit.runId].slice(-FOLDED_RUNS_KEPT) });
    changed.add(exit.name);
  }
  if (options.persist) {
    await runtime.state.saveHistories([...changed].map((name) => histories.get(name)).filter((h): h is GuestHistory => h !== undefined));
    crashPoint('observe:after-history');
    if (observation.exits.length > 0) await runtime.acknowledgeExits(observation.exits);
  }
  return { observation, histories };
}
