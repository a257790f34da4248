// What the daemon sends the page: one part per panel (docs/ui.md, "What the page is sent"). The
// daemon builds these in src/render/web-view.ts; test/ui/view-types.test.ts checks that both agree.

export type Phase = 'running' | 'stopping' | 'stopped' | 'pending' | 'backoff' | 'held' | 'failed' | 'stuck' | 'orphaned';

export interface GuestRow {
  readonly name: string;
  readonly desired: 'running' | 'stopped' | 'absent';
  readonly phase: Phase;
  readonly ready: boolean;
  readonly pid: number | null;
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

export interface GraphNode {
  readonly name: string;
  readonly desired: 'running' | 'stopped' | 'absent';
  readonly phase: Phase | 'unknown';
  readonly ready: boolean;
  readonly dependsOn: readonly string[];
  readonly level: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphPart {
  readonly width: number;
  readonly height: number;
  readonly guests: readonly GraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number }[];
}

export type LadderStep = 'guest-command' | 'power-button' | 'power-cut';

export interface TimelineBar {
  readonly guest: string;
  readonly kind: 'managed' | 'removed' | 'unmanaged';
  readonly pid: number;
  readonly wave: number;
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly segments: readonly { readonly step: LadderStep; readonly fromMs: number; readonly toMs: number }[];
  readonly end: string;
  readonly critical: boolean;
  readonly detail: string;
}

export interface Timeline {
  readonly kind: 'last' | 'budget';
  readonly startedAt: number | null;
  readonly totalMs: number;
  readonly deadlineMs: number;
  readonly withinDeadline: boolean;
  readonly preludeMs: number;
  readonly waves: readonly { readonly wave: number; readonly fromMs: number; readonly toMs: number }[];
  readonly bars: readonly TimelineBar[];
  readonly criticalPath: readonly string[];
  readonly status: string | null;
  readonly blockers: readonly string[];
  readonly timingsRecorded: boolean;
}

export interface ShutdownPart {
  readonly last: Timeline | null;
  readonly lastUnreadable: boolean;
  readonly budget: Timeline | null;
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
  readonly events: readonly EventRow[];
}

export interface WhyPart {
  readonly guest: string;
  readonly decisions: readonly { readonly time: number; readonly pass: number; readonly kind: string; readonly what: string; readonly detail: string }[];
}
