// `qvmctl status` for people: one row per guest, then what is held and which qvm processes no
// manifest explains.

import type { UnmanagedProcess } from '../model/observed.js';
import { describeExit, MONITOR_LOST } from './exit-meaning.js';
import type { GuestStatus } from '../planner/guest-status.js';
import { formatTable } from './table.js';

export function renderStatusText(guests: readonly GuestStatus[], unmanaged: readonly UnmanagedProcess[], now: number): string {
  const header = ['GUEST', 'DESIRED', 'PHASE', 'READY', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT'];
  const rows = guests.map((g) => [
    g.name,
    g.desired,
    g.phase,
    g.pid === undefined ? '-' : g.ready ? 'yes' : 'no',
    g.pid === undefined ? '-' : String(g.pid),
    g.uptimeMs === undefined ? '-' : formatDuration(g.uptimeMs),
    String(g.restarts),
    g.lastExit === undefined ? '-' : `${describeExit(g.lastExit)}, ${formatDuration(now - g.lastExit.at)} ago`,
  ]);
  const notes = guests.flatMap((g) => [
    ...g.holds.map((h) => `  ${g.name}: ${h.reason}${h.detail === '' ? '' : ` (${h.detail})`}`),
    ...(g.lastError === undefined ? [] : [`  ${g.name}: last step failed: ${g.lastError}`]),
  ]);
  const unwatched = [
    ...guests.filter((g) => g.phase === 'stopping').map((g) => `  ${g.name}: ${describeStopRequested(g)}`),
    ...guests.filter((g) => g.monitorLost).map((g) => `  ${g.name}: ${MONITOR_LOST}`),
  ];
  const strays = unmanaged.map((p) => `  pid ${p.pid}: ${p.argv.join(' ')}`);
  return [
    formatTable(header, rows).trimEnd(),
    ...(notes.length > 0 ? ['', 'Held:', ...notes] : []),
    ...(unwatched.length > 0 ? ['', 'Warnings:', ...unwatched] : []),
    ...(strays.length > 0 ? ['', 'qvm processes no manifest explains:', ...strays] : []),
  ].join('\n') + '\n';
}

/** What phase `stopping` means: the guest is not healthy, and may be stuck. */
export function describeStopRequested(g: Pick<GuestStatus, 'name' | 'pid'>): string {
  return `a stop was asked of qvm (pid ${g.pid ?? '?'}) and it still runs: either a stop is under way, or it ran out of steps and left it running (stuck: every step of the stop ladder timed out); \`qvmctl stop ${g.name}\` tries again, else act on the host`;
}

/** `3s`, `4m12s`, `2h05m`, `3d4h`: compact and readable at a glance. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
