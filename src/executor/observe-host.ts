// Observing the host claims the exit records the monitors wrote since the last look (each is
// reported once), so every observation must fold them into the guests' restart history at once:
// an exit that is observed and not recorded is lost. Every caller observes through here.

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
  for (const spec of desired.guests) histories.set(spec.name, await loadGuestHistory({ stateDir, name: spec.name }));
  for (const exit of observation.exits) {
    const spec = specs.get(exit.name);
    if (spec === undefined) continue;
    const history = recordExit(histories.get(exit.name), exit, spec);
    histories.set(exit.name, history);
    await saveGuestHistory({ stateDir, history });
  }
  return { observation, histories };
}
