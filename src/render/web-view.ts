// What the web view's page receives (docs/ui.md, "What the page is sent"): plain JSON, one part per
// panel, `null` rather than a missing value. The page (web/) declares the same shapes in
// web/view.ts; a test checks that the two agree. Pure: the daemon hands in its view of the host.

import type { DesiredState } from '../model/host-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { ShutdownSpec } from '../model/guest-spec.js';
import { createShutdownPlan } from '../planner/shutdown-plan.js';
import { describeExit } from './exit-meaning.js';
import { buildGuestGraph, layoutGuestGraph, type GraphLayout } from './guest-graph.js';
import type { GuestPhase, GuestStatus } from '../planner/guest-status.js';
import { budgetTimeline, parseShutdownRecord, recordTimeline, type ShutdownTimeline } from './shutdown-timeline.js';

/** The daemon's status as far as the page shows it (the daemon's `GET /status` answer has more). */
export interface DaemonSummary {
  readonly pid: number;
  readonly fenced: boolean;
  readonly passes: number;
  readonly lastPass: { readonly id: number; readonly endedAt: number; readonly result: string; readonly changes: number } | undefined;
  readonly manifests: { readonly status: string; readonly source: string; readonly commit?: string; readonly usingLastGood: boolean; readonly errors: number };
  readonly host: { readonly where: string; readonly reachable: boolean; readonly error?: string };
  readonly guests: readonly GuestStatus[];
}

export interface GuestRow {
  readonly name: string;
  readonly desired: GuestStatus['desired'];
  readonly phase: GuestPhase;
  readonly ready: boolean;
  readonly pid: number | null;
  /** Epoch ms: the page counts the uptime itself. */
  readonly startedAt: number | null;
  readonly restarts: number;
  readonly failures: number;
  readonly lastExit: { readonly code: number | null; readonly signal: string | null; readonly at: number; readonly text: string } | null;
  readonly holds: readonly { readonly reason: string; readonly detail: string; readonly until: number | null }[];
  readonly lastError: string | null;
  readonly stopRequested: boolean;
  readonly monitorLost: boolean;
}

export interface StatusPart {
  /** The daemon's clock when this was made: the page's uptimes are counted against it. */
  readonly serverTime: number;
  readonly daemon: {
    readonly pid: number;
    readonly fenced: boolean;
    readonly passes: number;
    readonly lastPass: { readonly id: number; readonly endedAt: number; readonly result: string; readonly changes: number } | null;
    readonly manifests: { readonly status: string; readonly source: string; readonly commit: string | null; readonly usingLastGood: boolean; readonly errors: number };
    readonly host: { readonly where: string; readonly reachable: boolean; readonly error: string | null };
  };
  readonly guests: readonly GuestRow[];
}

export interface EventRow {
  readonly time: number;
  readonly guest: string | null;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
}

export interface EventsPart {
  /** Newest first. */
  readonly events: readonly EventRow[];
}

export interface ShutdownPart {
  /** The last host shutdown, from its record; null before any. */
  readonly last: ShutdownTimeline | null;
  /** The record exists but cannot be read as one. */
  readonly lastUnreadable: boolean;
  /** The dry run's worst case for what runs now; null before the daemon has valid manifests. */
  readonly budget: ShutdownTimeline | null;
}

export interface WhyPart {
  readonly guest: string;
  readonly decisions: readonly { readonly time: number; readonly pass: number; readonly kind: string; readonly what: string; readonly detail: string }[];
}

/** Recent events shown: the daemon keeps more (`qvmctl events`). */
export const EVENTS_SHOWN = 100;

export function statusPart(status: DaemonSummary, now: number): StatusPart {
  return {
    serverTime: now,
    daemon: {
      pid: status.pid,
      fenced: status.fenced,
      passes: status.passes,
      lastPass: status.lastPass === undefined ? null : { id: status.lastPass.id, endedAt: status.lastPass.endedAt, result: status.lastPass.result, changes: status.lastPass.changes },
      manifests: { status: status.manifests.status, source: status.manifests.source, commit: status.manifests.commit ?? null, usingLastGood: status.manifests.usingLastGood, errors: status.manifests.errors },
      host: { where: status.host.where, reachable: status.host.reachable, error: status.host.error ?? null },
    },
    guests: status.guests.map((g) => ({
      name: g.name,
      desired: g.desired,
      phase: g.phase,
      ready: g.ready,
      pid: g.pid ?? null,
      startedAt: g.startedAt ?? null,
      restarts: g.restarts,
      failures: g.failures,
      lastExit: g.lastExit === undefined ? null : { code: g.lastExit.code, signal: g.lastExit.signal, at: g.lastExit.at, text: describeExit(g.lastExit) },
      holds: g.holds.map((h) => ({ reason: h.reason, detail: h.detail, until: h.until ?? null })),
      lastError: g.lastError ?? null,
      stopRequested: g.stopRequested,
      monitorLost: g.monitorLost,
    })),
  };
}

export function graphPart(desired: DesiredState | undefined, guests: readonly GuestStatus[]): GraphLayout {
  return layoutGuestGraph(buildGuestGraph(desired, guests));
}

export function eventsPart(events: readonly { readonly time: number; readonly guest: string | undefined; readonly type: string; readonly reason: string; readonly message: string; readonly count: number }[]): EventsPart {
  return { events: events.slice(-EVENTS_SHOWN).reverse().map((e) => ({ time: e.time, guest: e.guest ?? null, type: e.type, reason: e.reason, message: e.message, count: e.count })) };
}

export interface ShutdownPartInput {
  readonly desired: DesiredState | undefined;
  readonly guests: readonly GuestStatus[];
  /** What `last-shutdown.json` holds (undefined: no record). */
  readonly record: unknown;
  readonly fallbackShutdown: ShutdownSpec;
  readonly passLockWaitMs: number;
}

export function shutdownPart(input: ShutdownPartInput): ShutdownPart {
  const record = input.record === undefined ? undefined : parseShutdownRecord(input.record);
  return {
    last: record === undefined ? null : recordTimeline(record),
    lastUnreadable: input.record !== undefined && record === undefined,
    budget: input.desired === undefined ? null : budgetTimeline({
      plan: createShutdownPlan({ desired: input.desired, running: runningOf(input.guests), unmanaged: [], fallbackShutdown: input.fallbackShutdown }),
      desired: input.desired,
      fallbackShutdown: input.fallbackShutdown,
      passLockWaitMs: input.passLockWaitMs,
    }),
  };
}

// The qvm processes of the daemon's last look, as the shutdown plan reads them (by name and pid).
// qvm processes no manifest explains are not in the daemon's status: `qvmctl shutdown --dry-run` shows them.
function runningOf(guests: readonly GuestStatus[]): ObservedGuest[] {
  return guests.flatMap((g) => (g.pid === undefined ? [] : [{
    name: g.name, pid: g.pid, processStart: '', configHash: '', startedAt: g.startedAt ?? 0, ready: g.ready, stopping: g.stopRequested,
  }]));
}
