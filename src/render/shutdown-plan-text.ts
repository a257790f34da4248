// The host shutdown dry run for people: waves with each guest's worst-case budget, the critical
// path against the deadline, and what happens to unmanaged qvm processes.

import type { StopLadderSummary } from '../model/plan.js';
import type { ShutdownPlan } from '../planner/shutdown-plan.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

export function renderShutdownPlanText(plan: ShutdownPlan): string {
  const lines = plan.waves.map((wave, i) => `wave ${i + 1}: ${wave.map((s) => `${s.guest} (${seconds(s.budgetMs)}${s.kind === 'managed' ? '' : `, ${s.kind}`})`).join(', ')}`);
  if (lines.length === 0) lines.push('No qvm process to stop.');
  for (const step of plan.waves.flat()) {
    const note = describePowerButton(step.ladder);
    if (note !== undefined) lines.push(`${step.guest}: ${note}`);
  }
  for (const p of plan.left) lines.push(`left running: unmanaged qvm pid ${p.pid}`);
  for (const p of plan.refused) lines.push(`refused: unmanaged qvm pid ${p.pid} (shutdown.unmanaged: refuse)`);
  const path = plan.criticalPath.length === 0 ? '' : ` (${plan.criticalPath.join(' → ')})`;
  const verdict = plan.withinDeadline ? 'within' : 'OVER';
  lines.push(`Worst case ${seconds(plan.criticalPathMs)}${path}: ${verdict} the deadline of ${seconds(plan.deadlineMs)}.`);
  return `${lines.join('\n')}\n`;
}

/**
 * One line for a ladder whose power button is not a controlled stop (docs/shutdown.md, "The power
 * button per guest"); undefined for a graceful one, which needs no remark.
 */
export function describePowerButton(ladder: StopLadderSummary): string | undefined {
  if (ladder.powerButton === 'graceful') return undefined;
  const basis = ladder.powerButtonBasis === undefined ? '' : ` (${ladder.powerButtonBasis})`;
  const left = ladder.steps === 'nothing' ? 'nothing can stop it: it will be left running (stuck)' : ladder.steps.endsWith('power cut') ? `stops by ${ladder.steps}` : `stops by ${ladder.steps} or is left running (stuck)`;
  return `power button ${ladder.powerButton}${basis}, not pressed; ${left}`;
}

