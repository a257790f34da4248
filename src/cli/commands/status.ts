// `qvmctl status`: each guest's desired state, phase, process, uptime, restarts and last exit.
// When a daemon runs on the state directory, its view (as of its last pass) is shown; otherwise
// qvmctl observes the host itself.

import type { Command } from 'commander';
import type { UnmanagedProcess } from '../../model/observed.js';
import type { GuestStatus } from '../../planner/guest-status.js';
import { formatDuration, renderStatusText } from '../../render/status.js';
import { describeRecord, recordJson } from '../../release/record.js';
import { fetchDaemonStatus, type DaemonStatus } from '../daemon-client.js';
import { lookLocally } from '../local-look.js';
import { releaseRecordOf } from '../manifest-input.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { resolveStateDir } from '../state-dir.js';

type StatusOptions = ManifestOptions & OutputOptions & StateDirOptions;

export function registerStatus(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('status').description('show every guest: desired state, phase, PID, uptime, restarts, last exit');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (options: StatusOptions) => {
    const daemon = await fetchDaemonStatus(await resolveStateDir(options));
    const now = Date.now();
    // With -f a release directory: which release the host runs and whether it is committed (docs/fleet.md).
    const record = await releaseRecordOf(options.manifests);
    const release = record === undefined ? null : recordJson(record);
    const releaseLine = record === undefined ? '' : `${describeRecord(record)}\n`;
    if (daemon !== undefined) {
      // A daemon from before `unmanaged` was part of its status shows none.
      const unmanaged = (daemon as Partial<DaemonStatus>).unmanaged ?? [];
      if (options.output === 'json') io.document('Status', statusJson('daemon', daemon, release, daemon.guests, unmanaged));
      else io.out(`${releaseLine}${daemonLine(daemon, now)}\n${renderStatusText(daemon.guests, unmanaged, now)}`);
    } else {
      const local = await observeLocally(options, io, now);
      if (options.output === 'json') io.document('Status', statusJson('local', undefined, release, local.guests, local.unmanaged));
      else io.out(`${releaseLine}${renderStatusText(local.guests, local.unmanaged, now)}`);
    }
    result.exitCode = 0;
  });
}

/**
 * One shape whatever the source (docs/cli.md, "JSON output"): `daemon` is null when qvmctl looked
 * at the host itself, else the daemon's own state; the guests are as of its last pass.
 */
function statusJson(source: 'daemon' | 'local', daemon: DaemonStatus | undefined, release: object | null, guests: readonly GuestStatus[], unmanaged: readonly UnmanagedProcess[]): object {
  const { guests: _guests, unmanaged: _unmanaged, ...rest } = daemon ?? {};
  return {
    source,
    daemon: daemon === undefined ? null : rest,
    release,
    guests,
    unmanaged,
  };
}

async function observeLocally(options: StatusOptions, io: CliOutput, now: number): Promise<{ guests: GuestStatus[]; unmanaged: readonly UnmanagedProcess[] }> {
  const look = await lookLocally(options, io, now);
  return { guests: look.guests, unmanaged: look.observation.unmanaged };
}

function daemonLine(d: DaemonStatus, now: number): string {
  const pass = d.lastPass === undefined ? 'no pass yet' : `last pass ${formatDuration(now - d.lastPass.endedAt)} ago (${d.lastPass.result})`;
  const manifests = d.manifests.usingLastGood && d.manifests.status !== 'ok' ? `, manifests ${d.manifests.status}: using the last good ones` : '';
  const unreachable = d.host.reachable ? '' : `\nHOST UNREACHABLE (the guests below are as last seen; nothing is started or stopped until it answers): ${d.host.error ?? ''}`;
  return `daemon pid ${d.pid}: ${pass}${sourceOf(d)}${manifests}${d.fenced ? ', FENCED (host shutdown)' : ''}${unreachable}`;
}

// Which commit is applied, and whether HEAD or the working tree say something else; or the files
// still being written (docs/daemon.md, "Settled input").
function sourceOf(d: DaemonStatus): string {
  const m = d.manifests;
  const short = (commit: string): string => commit.slice(0, 12);
  if (m.source === 'directory') {
    const unsettled = m.unsettled ?? [];
    return unsettled.length === 0 ? '' : `, waiting for ${unsettled.join(', ')} to settle (not used yet)`;
  }
  const commit = m.commit ?? d.lastPass?.revision?.commit;
  const applied = commit === undefined ? ', no commit applied yet' : `, commit ${short(commit)} applied`;
  const head = m.head !== undefined && m.head !== commit ? ` (HEAD ${short(m.head)} is not: ${m.status})` : '';
  const differs = m.workingTreeDiffers === true ? '; the working tree differs from it (uncommitted changes are not applied)' : '';
  return `${applied}${head}${differs}`;
}
