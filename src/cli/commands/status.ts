// `qvmctl status`: each guest's desired state, phase, process, uptime, restarts and last exit.
// When a daemon runs on the state directory, its view (as of its last pass) is shown; otherwise
// qvmctl observes the host itself.

import type { Command } from 'commander';
import { previewPass } from '../../executor/reconcile-pass.js';
import type { UnmanagedProcess } from '../../model/observed.js';
import { describeGuests, type GuestStatus } from '../../render/guest-status.js';
import { formatDuration, renderStatusText } from '../../render/status.js';
import { fetchDaemonStatus, type DaemonStatus } from '../daemon-client.js';
import { openHost } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';
import { resolveStateDir } from '../state-dir.js';

type StatusOptions = ManifestOptions & OutputOptions & StateDirOptions;

export function registerStatus(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('status').description('show every guest: desired state, phase, PID, uptime, restarts, last exit');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (options: StatusOptions) => {
    const daemon = await fetchDaemonStatus(await resolveStateDir(options));
    const now = Date.now();
    if (daemon !== undefined) {
      io.out(options.output === 'json' ? `${JSON.stringify({ source: 'daemon', ...daemon }, null, 2)}\n` : `${daemonLine(daemon, now)}\n${renderStatusText(daemon.guests, [], now)}`);
    } else {
      const local = await observeLocally(options, io, now);
      io.out(options.output === 'json' ? `${JSON.stringify({ source: 'local', ...local }, null, 2)}\n` : renderStatusText(local.guests, local.unmanaged, now));
    }
    result.exitCode = 0;
  });
}

// The daemon's point of view (explicit: false): the holds it would honour show as phases.
async function observeLocally(options: StatusOptions, io: Output, now: number): Promise<{ guests: GuestStatus[]; unmanaged: readonly UnmanagedProcess[] }> {
  const host = await openHost(options, io);
  const prepared = await previewPass({ ...host.target, explicit: false });
  const guests = describeGuests({
    desired: host.desired,
    plan: prepared.plan,
    running: new Map(prepared.observation.guests.map((g) => [g.name, g])),
    histories: prepared.histories,
    errors: new Map(),
  }, now);
  return { guests, unmanaged: prepared.observation.unmanaged };
}

function daemonLine(d: DaemonStatus, now: number): string {
  const pass = d.lastPass === undefined ? 'no pass yet' : `last pass ${formatDuration(now - d.lastPass.endedAt)} ago (${d.lastPass.result})`;
  const revision = d.lastPass?.revision === undefined ? '' : `, revision ${d.lastPass.revision.commit.slice(0, 12)}${d.lastPass.revision.dirty ? ' (dirty)' : ''}`;
  const manifests = d.manifests.usingLastGood ? `, manifests ${d.manifests.status}: using the last good ones` : '';
  const unreachable = d.host.reachable ? '' : `\nHOST UNREACHABLE (the guests below are as last seen; nothing is started or stopped until it answers): ${d.host.error ?? ''}`;
  return `daemon pid ${d.pid}: ${pass}${revision}${manifests}${d.fenced ? ', FENCED (host shutdown)' : ''}${unreachable}`;
}
