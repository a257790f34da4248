// What `status` and `graph` show without a daemon: the host looked at (read-only) and each guest's
// phase as the daemon would see it.

import { previewPass } from '../executor/reconcile-pass.js';
import type { Observation } from '../model/observed.js';
import { describeGuests, type GuestStatus } from '../planner/guest-status.js';
import type { HostPort } from '../runtime/port.js';
import { openHost, type HostContext, type HostContextOptions } from './host-context.js';
import type { CliOutput } from './output.js';

export interface LocalLook {
  readonly host: HostContext;
  readonly guests: GuestStatus[];
  readonly observation: Observation;
}

// The daemon's point of view (explicit: false): the holds it would honour show as phases. The
// guests as observed, though: a pass plans as if no stop were under way (it holds the pass lock),
// but a look must show a guest that was asked to stop and still runs as such, not as healthy.
export async function lookLocally(options: HostContextOptions, io: CliOutput, now: number): Promise<LocalLook> {
  const host = await openHost(options, io, undefined, 'look');
  let observed: Observation | undefined;
  const runtime: HostPort = { ...host.runtime, observe: async () => (observed = await host.runtime.observe()) };
  const prepared = await previewPass({ desired: host.desired, runtime, explicit: false });
  const stopping = new Set((observed?.guests ?? []).filter((g) => g.stopping).map((g) => g.pid));
  const guests = describeGuests({
    desired: host.desired,
    plan: prepared.plan,
    running: new Map(prepared.observation.guests.map((g) => [g.name, { ...g, stopping: g.stopping || stopping.has(g.pid) }])),
    histories: prepared.histories,
    errors: new Map(),
  }, now);
  // A typo in --state-dir would otherwise show every guest pending, as on a host never used.
  if (prepared.observation.stateDirMissing === true) {
    io.err(`note: state directory ${host.stateDir} does not exist: nothing was ever started from it${options.stateDir === undefined ? '' : ' (check --state-dir)'}; a look creates nothing\n`);
  }
  return { host, guests, observation: prepared.observation };
}
