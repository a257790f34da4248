// The host shutdown dry run for people: waves with each guest's worst-case budget, the critical
// path against the deadline, and what happens to unmanaged qvm processes.

import type { ShutdownPlan } from '../planner/shutdown-plan.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

export function renderShutdownPlanText(plan: ShutdownPlan): string {
  const lines = plan.waves.map((wave, i) => `wave ${i + 1}: ${wave.map((s) => `${s.guest} (${seconds(s.budgetMs)}${s.kind === 'managed' ? '' : `, ${s.kind}`})`).join(', ')}`);
  if (lines.length === 0) lines.push('No qvm process to stop.');
  for (const p of plan.left) lines.push(`left running: unmanaged qvm pid ${p.pid}`);
  for (const p of plan.refused) lines.push(`refused: unmanaged qvm pid ${p.pid} (shutdown.unmanaged: refuse)`);
  const path = plan.criticalPath.length === 0 ? '' : ` (${plan.criticalPath.join(' → ')})`;
  const verdict = plan.withinDeadline ? 'within' : 'OVER';
  lines.push(`Worst case ${seconds(plan.criticalPathMs)}${path}: ${verdict} the deadline of ${seconds(plan.deadlineMs)}.`);
  return `${lines.join('\n')}\n`;
}
