// A plan as one short line per guest, so table rows stay readable.
import type { Plan } from '../../src/model/plan.js';

export function summarize(plan: Plan): Record<string, string> {
  const lines: Record<string, string> = {};
  for (const c of plan.changes) lines[c.guest] = `${c.action} ${c.reason}`;
  for (const h of plan.holds) lines[h.guest] = `hold ${h.reason}`;
  return lines;
}
