// A plan for machines (`-o json`): stable field names, `null` rather than missing values.

import type { Plan } from '../model/plan.js';

export interface PlanJson {
  readonly changes: readonly {
    readonly guest: string;
    readonly action: string;
    readonly reason: string;
    readonly detail: string;
    readonly after: readonly string[];
    readonly stopAfter: readonly string[];
    readonly startAfter: readonly string[];
  }[];
  readonly holds: readonly { readonly guest: string; readonly reason: string; readonly detail: string; readonly until: number | null }[];
  readonly waves: readonly { readonly action: 'stop' | 'start'; readonly guests: readonly string[] }[];
  readonly requeueAt: number | null;
}

export function toPlanJson(plan: Plan): PlanJson {
  return {
    changes: plan.changes.map(({ guest, action, reason, detail, after, stopAfter, startAfter }) => ({ guest, action, reason, detail, after, stopAfter, startAfter })),
    holds: plan.holds.map(({ guest, reason, detail, until }) => ({ guest, reason, detail, until: until ?? null })),
    waves: plan.waves.map((guests, i) => ({ action: i < plan.stopWaveCount ? 'stop' : 'start', guests })),
    requeueAt: plan.requeueAt ?? null,
  };
}

// Pretty-printed JSON text with a trailing newline.
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(toPlanJson(plan), null, 2)}\n`;
}
