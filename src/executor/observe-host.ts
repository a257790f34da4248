// Observing the host claims the exit records the monitors wrote since the last look (each is
// reported once), so every observation must fold them into the guests' restart history at once:
// an exit that is observed and not recorded is lost. Every caller that claims exits observes through
// here; only a look with `claimExits: false` (the shutdown's confirmation) goes to the runtime directly.

import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, Observation } from '../model/observed.js';
import { recordExit } from '../planner/exit-policy.js';
import type { RuntimePort } from '../runtime/port.js';
import { loadGuestHistory, saveGuestHistory } from '../runtime/state/history.js';

export interface HostObservation {
  readonly observation: Observation;
  /** Restart history of every desired guest, with this observation's exits folded in. */
  readonly histories: ReadonlyMap<string, GuestHistory>;
}

export async function observeHost(options: { readonly runtime: RuntimePort; readonly desired: DesiredState; readonly stateDir: string }): Promise<HostObservation> {
  const { desired, stateDir } = options;
  const observation = await options.runtime.observe();
  const specs = new Map(desired.guests.map((spec) => [spec.name, spec]));
  const histories = new Map<string, GuestHistory>();
  const loaded = await Promise.all(desired.guests.map((spec) => loadGuestHistory({ stateDir, name: spec.name })));
  for (const history of loaded) histories.set(history.name, history);
  const changed = new Set<string>();
  for (const exit of observation.exits) {
    const spec = specs.get(exit.name);
    if (spec === undefined) continue;
    histories.set(exit.name, recordExit(histories.get(exit.name), exit, spec));
    changed.add(exit.name);
  }
  // One durable write per guest, all at once: after a host shutdown that is every guest.
  await Promise.all([...changed].map(async (name) => {
    const history = histories.get(name);
    if (history !== undefined) await saveGuestHistory({ stateDir, history });
  }));
  return { observation, histories };
}
