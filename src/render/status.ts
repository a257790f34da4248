// `qvmctl status`: one row per guest (desired state, phase, process, restarts, last exit), derived
// purely from a pass's observation, history and plan.

import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Hold, Plan } from '../model/plan.js';
import { compareNames } from '../planner/graph.js';
import { describeExit } from './exit-meaning.js';

export type GuestPhase = 'running' | 'pending' | 'stopped' | 'waiting' | 'backoff' | 'failed' | 'fenced' | 'held';

export interface GuestStatus {
  readonly guest: string;
  readonly desired: 'running' | 'stopped' | 'removed';
  readonly phase: GuestPhase;
  readonly pid: number | undefined;
  readonly startedAt: number | undefined;
  readonly restarts: number;
  readonly lastExit: string | undefined;
  readonly lastExitAt: number | undefined;
  /** Why nothing happens to this guest now, when something should. */
  readonly hold: Pick<Hold, 'reason' | 'detail' | 'until'> | undefined;
}

export interface HostStatus {
  readonly guests: readonly GuestStatus[];
  readonly unmanaged: readonly UnmanagedProcess[];
}

export interface DescribeStatusInput {
  readonly desired: DesiredState;
  readonly running: readonly ObservedGuest[];
  readonly unmanaged: readonly UnmanagedProcess[];
  readonly histories: ReadonlyMap<string, GuestHistory>;
  readonly plan: Plan;
}

const HOLD_PHASE: Partial<Record<Hold['reason'], GuestPhase>> = {
  backoff: 'backoff',
  failed: 'failed',
  'config-error': 'failed',
  'stay-stopped': 'stopped',
  'dependency-not-running': 'waiting',
  fenced: 'fenced',
};

export function describeStatus(input: DescribeStatusInput): HostStatus {
  const specs = new Map(input.desired.guests.map((g) => [g.name, g]));
  const running = new Map(input.running.map((g) => [g.name, g]));
  const holds = new Map(input.plan.holds.map((h) => [h.guest, h]));
  const starting = new Set(input.plan.changes.filter((c) => c.action === 'start').map((c) => c.guest));
  const names = [...new Set([...specs.keys(), ...running.keys()])].sort(compareNames);
  const guests = names.map((name): GuestStatus => {
    const spec = specs.get(name);
    const process = running.get(name);
    const history = input.histories.get(name);
    const hold = holds.get(name);
    const phase: GuestPhase = process !== undefined
      ? 'running'
      : hold !== undefined ? HOLD_PHASE[hold.reason] ?? 'held'
      : starting.has(name) ? 'pending' : 'stopped';
    return {
      guest: name,
      desired: spec?.state ?? 'removed',
      phase,
      pid: process?.pid,
      startedAt: process?.startedAt,
      restarts: history?.restarts ?? 0,
      lastExit: history?.lastExit === undefined ? undefined : describeExit(history.lastExit, spec),
      lastExitAt: history?.lastExit?.at,
      hold: hold === undefined ? undefined : { reason: hold.reason, detail: hold.detail, until: hold.until },
    };
  });
  return { guests, unmanaged: input.unmanaged };
}

export function renderStatusText(status: HostStatus, now: number): string {
  const header = ['GUEST', 'DESIRED', 'PHASE', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT'];
  const rows = status.guests.map((g) => [
    g.guest,
    g.desired,
    g.phase,
    g.pid === undefined ? '-' : String(g.pid),
    g.startedAt === undefined ? '-' : formatDuration(now - g.startedAt),
    String(g.restarts),
    g.lastExit === undefined ? '-' : `${g.lastExit}${g.lastExitAt === undefined ? '' : `, ${formatDuration(now - g.lastExitAt)} ago`}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const held = status.guests.filter((g) => g.hold !== undefined).map((g) => `  ${g.guest}: ${g.hold?.reason ?? ''}${g.hold?.detail ? ` (${g.hold.detail})` : ''}`);
  const unmanaged = status.unmanaged.map((p) => `  pid ${p.pid}: ${p.argv.join(' ')}`);
  return [
    line(header),
    ...rows.map(line),
    ...(held.length > 0 ? ['', 'Held:', ...held] : []),
    ...(unmanaged.length > 0 ? ['', 'qvm processes no manifest explains:', ...unmanaged] : []),
  ].join('\n') + '\n';
}

/** `3s`, `4m12s`, `2h05m`, `3d4h`: compact and sortable by eye. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
