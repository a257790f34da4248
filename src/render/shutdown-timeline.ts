// A host shutdown as a timeline (docs/ui.md, "Shutdown timeline"): one bar per qvm process, split by
// ladder step (guest command, power button, power cut), its wave, the deadline and the critical
// path. Two sources, drawn the same way: the last shutdown's record (`<stateDir>/last-shutdown.json`,
// docs/shutdown.md) and the worst-case budget of a dry run, before any shutdown has happened. Pure.

import type { ShutdownSpec } from '../model/guest-spec.js';
import type { DesiredState } from '../model/host-spec.js';
import type { ShutdownPlan, ShutdownStep } from '../planner/shutdown-plan.js';

export type LadderStep = 'guest-command' | 'power-button' | 'power-cut';

export interface TimelineSegment {
  readonly step: LadderStep;
  /** From the start of the sequence. */
  readonly fromMs: number;
  readonly toMs: number;
}

export interface TimelineBar {
  readonly guest: string;
  readonly kind: ShutdownStep['kind'];
  readonly pid: number;
  /** 1-based; the waves of the plan (dependents first), then any round for qvm that appeared late. */
  readonly wave: number;
  /** Null for a stop that never began (blocked, refused). */
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly segments: readonly TimelineSegment[];
  /** `budget` in a dry run's timeline; otherwise how the stop ended (stopped, stuck, blocked, failed, left). */
  readonly end: string;
  readonly critical: boolean;
  readonly detail: string;
}

export interface ShutdownTimeline {
  readonly kind: 'last' | 'budget';
  /** Epoch ms the shutdown began (`last`). */
  readonly startedAt: number | null;
  /** The whole sequence (`last`), or the worst case (`budget`). */
  readonly totalMs: number;
  readonly deadlineMs: number;
  readonly withinDeadline: boolean;
  /** Before the first stop: the worst-case wait for a pass under way (`budget`). */
  readonly preludeMs: number;
  readonly waves: readonly { readonly wave: number; readonly fromMs: number; readonly toMs: number }[];
  readonly bars: readonly TimelineBar[];
  /** First stopped first. */
  readonly criticalPath: readonly string[];
  /** `completed`, `blocked`, `refused` (`last`). */
  readonly status: string | null;
  readonly blockers: readonly string[];
  /** False for a record written before stops kept their step times: bars are then inferred. */
  readonly timingsRecorded: boolean;
}

/** The stop ladder's steps that apply, each with its timeout (computeStopBudgetMs sums them). */
export function ladderBudget(shutdown: ShutdownSpec): { readonly step: LadderStep; readonly ms: number }[] {
  return [
    ...(shutdown.guestCommand === undefined ? [] : [{ step: 'guest-command' as const, ms: shutdown.guestTimeoutMs }]),
    // Pressed only where the guest takes it gracefully (docs/shutdown.md, "The power button per guest").
    ...(shutdown.powerButton === 'graceful' ? [{ step: 'power-button' as const, ms: shutdown.powerButtonTimeoutMs }] : []),
    ...(shutdown.allowPowerCut ? [{ step: 'power-cut' as const, ms: shutdown.powerCutTimeoutMs }] : []),
  ];
}

export interface BudgetTimelineInput {
  readonly plan: ShutdownPlan;
  readonly desired: DesiredState;
  /** The ladder of guests without a manifest and of unmanaged qvm. */
  readonly fallbackShutdown: ShutdownSpec;
  /** The wait for a pass under way to give up the pass lock, counted before the first stop. */
  readonly passLockWaitMs: number;
}

/** The dry run's worst case drawn as a timeline: every step of every ladder runs into its timeout. */
export function budgetTimeline({ plan, desired, fallbackShutdown, passLockWaitMs }: BudgetTimelineInput): ShutdownTimeline {
  const specs = new Map(desired.guests.map((g) => [g.name, g.shutdown]));
  const critical = new Set(plan.criticalPath);
  const finish = new Map<string, number>();
  const bars: TimelineBar[] = [];
  plan.waves.forEach((wave, i) => {
    for (const step of wave) {
      const from = Math.max(passLockWaitMs, ...step.after.map((a) => finish.get(a) ?? passLockWaitMs));
      let at = from;
      const segments = ladderBudget(step.kind === 'managed' ? (specs.get(step.guest) ?? fallbackShutdown) : fallbackShutdown)
        .map(({ step: s, ms }) => ({ step: s, fromMs: at, toMs: (at += ms) }));
      finish.set(step.guest, at);
      bars.push({ guest: step.guest, kind: step.kind, pid: step.pid, wave: i + 1, fromMs: from, toMs: at, segments, end: 'budget', critical: critical.has(step.guest), detail: `at most ${seconds(at - from)}` });
    }
  });
  const totalMs = passLockWaitMs + plan.criticalPathMs;
  return {
    kind: 'budget', startedAt: null, totalMs, deadlineMs: plan.deadlineMs, withinDeadline: totalMs <= plan.deadlineMs, preludeMs: passLockWaitMs,
    waves: waveSpans(bars), bars, criticalPath: plan.criticalPath, status: null,
    blockers: [...plan.left.map((p) => `unmanaged qvm pid ${p.pid} would be left running`), ...plan.refused.map((p) => `unmanaged qvm pid ${p.pid}: the shutdown would be refused`)],
    timingsRecorded: true,
  };
}

/** The parts of a shutdown record (ShutdownResult as written) a timeline needs. */
export interface ShutdownRecordView {
  readonly status: string;
  readonly startedAt: number | undefined;
  readonly elapsedMs: number;
  readonly plan: { readonly waves: readonly (readonly RecordedStep[])[]; readonly deadlineMs: number };
  readonly guests: readonly RecordedStop[];
  readonly blockers: readonly string[];
  readonly fenceSince: number | undefined;
}

interface RecordedStep {
  readonly guest: string;
  readonly pid: number;
  readonly kind: ShutdownStep['kind'];
  readonly after: readonly string[];
}

interface RecordedStop {
  readonly guest: string;
  readonly kind: ShutdownStep['kind'];
  readonly pid: number;
  readonly end: string;
  readonly step: string | undefined;
  readonly elapsedMs: number | undefined;
  readonly startedAt: number | undefined;
  readonly steps: readonly { readonly step: LadderStep; readonly at: number }[] | undefined;
  readonly detail: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const KINDS: readonly string[] = ['managed', 'removed', 'unmanaged'];
const STEPS: readonly string[] = ['guest-command', 'power-button', 'power-cut'];
const kindOf = (v: unknown): ShutdownStep['kind'] => (typeof v === 'string' && KINDS.includes(v) ? v as ShutdownStep['kind'] : 'managed');

/** A record read from the state directory, checked field by field; undefined when it is not one. */
export function parseShutdownRecord(value: unknown): ShutdownRecordView | undefined {
  if (!isObject(value) || !isObject(value['plan']) || !Array.isArray(value['guests'])) return undefined;
  const status = str(value['status']);
  const elapsedMs = num(value['elapsedMs']);
  const rawWaves = value['plan']['waves'];
  if (status === undefined || elapsedMs === undefined || !Array.isArray(rawWaves)) return undefined;
  const waves = rawWaves.map((wave) => (Array.isArray(wave) ? wave : []).filter(isObject).flatMap((s) => {
    const guest = str(s['guest']);
    const pid = num(s['pid']);
    if (guest === undefined || pid === undefined) return [];
    return [{ guest, pid, kind: kindOf(s['kind']), after: Array.isArray(s['after']) ? s['after'].filter((a): a is string => typeof a === 'string') : [] }];
  }));
  const guests = value['guests'].filter(isObject).flatMap((g): RecordedStop[] => {
    const guest = str(g['guest']);
    const pid = num(g['pid']);
    if (guest === undefined || pid === undefined) return [];
    const steps = Array.isArray(g['steps'])
      ? g['steps'].filter(isObject).flatMap((s) => {
        const step = str(s['step']);
        const at = num(s['at']);
        return step !== undefined && STEPS.includes(step) && at !== undefined ? [{ step: step as LadderStep, at }] : [];
      })
      : undefined;
    return [{ guest, pid, kind: kindOf(g['kind']), end: str(g['end']) ?? 'unknown', step: str(g['step']), elapsedMs: num(g['elapsedMs']), startedAt: num(g['startedAt']), steps, detail: str(g['detail']) ?? '' }];
  });
  const fence = value['fence'];
  return {
    status,
    startedAt: num(value['startedAt']),
    elapsedMs,
    plan: { waves, deadlineMs: num(value['plan']['deadlineMs']) ?? 0 },
    guests,
    blockers: Array.isArray(value['blockers']) ? value['blockers'].filter((b): b is string => typeof b === 'string') : [],
    fenceSince: isObject(fence) ? num(fence['since']) : undefined,
  };
}

/** The last shutdown as it happened: each bar from the stop's start to the qvm's end (or until it was left stuck). */
export function recordTimeline(record: ShutdownRecordView): ShutdownTimeline {
  const timed = record.guests.filter((g) => g.startedAt !== undefined);
  const t0 = record.startedAt ?? (timed.length > 0 ? Math.min(...timed.map((g) => g.startedAt ?? 0)) : (record.fenceSince ?? 0));
  const waveOf = new Map<string, number>();
  const afterOf = new Map<string, readonly string[]>();
  record.plan.waves.forEach((wave, i) => {
    for (const s of wave) {
      waveOf.set(s.guest, i + 1);
      afterOf.set(s.guest, s.after);
    }
  });
  const lateWave = record.plan.waves.length + 1;
  const ends = new Map<string, number>();
  const timingsRecorded = record.guests.every((g) => g.startedAt !== undefined || g.end === 'blocked' || g.end === 'left' || g.elapsedMs === undefined);
  // Waves in order, so that an inferred start can wait for the dependents' ends.
  const ordered = [...record.guests].sort((a, b) => (waveOf.get(a.guest) ?? lateWave) - (waveOf.get(b.guest) ?? lateWave));
  const bars = ordered.map((g): TimelineBar => {
    const wave = waveOf.get(g.guest) ?? lateWave;
    const base = { guest: g.guest, kind: g.kind, pid: g.pid, wave, end: g.end, critical: false, detail: g.detail };
    if (g.elapsedMs === undefined) return { ...base, fromMs: null, toMs: null, segments: [] };
    const from = g.startedAt === undefined
      ? Math.max(0, ...(afterOf.get(g.guest) ?? []).map((a) => ends.get(a) ?? 0))
      : g.startedAt - t0;
    const to = from + g.elapsedMs;
    ends.set(g.guest, to);
    const steps = g.steps ?? (g.step !== undefined && STEPS.includes(g.step) ? [{ step: g.step as LadderStep, at: t0 + from }] : []);
    const segments = steps.map((s, i) => ({
      step: s.step,
      fromMs: Math.min(to, Math.max(from, s.at - t0)),
      toMs: Math.min(to, Math.max(from, (steps[i + 1]?.at ?? t0 + to) - t0)),
    }));
    return { ...base, fromMs: from, toMs: to, segments };
  });
  const critical = new Set(lastChain(bars, afterOf));
  const marked = bars.map((b) => (critical.has(b.guest) ? { ...b, critical: true } : b));
  return {
    kind: 'last', startedAt: t0, totalMs: record.elapsedMs, deadlineMs: record.plan.deadlineMs, withinDeadline: record.elapsedMs <= record.plan.deadlineMs,
    preludeMs: firstStart(marked),
    waves: waveSpans(marked), bars: marked, criticalPath: [...critical], status: record.status, blockers: record.blockers, timingsRecorded,
  };
}

// The chain that ended last: the last bar, then, each time, the dependent it waited for longest.
function lastChain(bars: readonly TimelineBar[], afterOf: ReadonlyMap<string, readonly string[]>): string[] {
  const byGuest = new Map(bars.map((b) => [b.guest, b]));
  let at = [...bars].filter((b) => b.toMs !== null).sort((a, b) => (b.toMs ?? 0) - (a.toMs ?? 0))[0];
  const chain: string[] = [];
  while (at !== undefined && !chain.includes(at.guest)) {
    chain.unshift(at.guest);
    at = (afterOf.get(at.guest) ?? []).map((name) => byGuest.get(name)).filter((b): b is TimelineBar => b?.toMs !== null && b !== undefined)
      .sort((a, b) => (b.toMs ?? 0) - (a.toMs ?? 0))[0];
  }
  return chain;
}

function firstStart(bars: readonly TimelineBar[]): number {
  const starts = bars.map((b) => b.fromMs).filter((v): v is number => v !== null);
  return starts.length === 0 ? 0 : Math.max(0, Math.min(...starts));
}

function waveSpans(bars: readonly TimelineBar[]): { wave: number; fromMs: number; toMs: number }[] {
  const spans = new Map<number, { wave: number; fromMs: number; toMs: number }>();
  for (const b of bars) {
    if (b.fromMs === null || b.toMs === null) continue;
    const s = spans.get(b.wave);
    spans.set(b.wave, s === undefined ? { wave: b.wave, fromMs: b.fromMs, toMs: b.toMs } : { wave: b.wave, fromMs: Math.min(s.fromMs, b.fromMs), toMs: Math.max(s.toMs, b.toMs) });
  }
  return [...spans.values()].sort((a, b) => a.wave - b.wave);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
