// A plan for people, in the style of terraform: one line per change or hold, the waves, a summary.

import type { Change, Hold, Plan } from '../model/plan.js';
import { describePowerButton } from './shutdown-plan-text.js';

export interface PlanTextOptions {
  /** ANSI colours; the caller decides (a TTY and no NO_COLOR). */
  readonly color: boolean;
}

type Paint = (code: number, text: string) => string;

const SYMBOL = { start: ['+', 32], stop: ['-', 31], restart: ['~', 33] } as const;

// The detail only when it says more than the reason ("not running" after `not-running` does not).
function describe(reason: string, detail: string): string {
  return detail === '' || detail.replaceAll(' ', '-') === reason ? reason : `${reason}: ${detail}`;
}

function renderChange(change: Change, paint: Paint): string {
  const [symbol, colour] = SYMBOL[change.action];
  const line = `${paint(colour, `${symbol} ${change.action}`)} ${change.guest} (${describe(change.reason, change.detail)})`;
  const note = change.stopLadder === undefined ? undefined : describePowerButton(change.stopLadder);
  return note === undefined ? line : `${line}\n    ${note}`;
}

function renderHold(hold: Hold, paint: Paint): string {
  const until = hold.until === undefined ? '' : `, until ${new Date(hold.until).toISOString()}`;
  return `${paint(35, '! hold')} ${hold.guest} (${describe(hold.reason, hold.detail)}${until})`;
}

function renderWaves(plan: Plan): string[] {
  const labelled = plan.stopWaveCount > 0;
  return plan.waves.map((wave, i) => {
    const kind = i < plan.stopWaveCount ? ' (stop)' : labelled ? ' (start)' : '';
    return `wave ${i + 1}${kind}: ${wave.join(', ')}`;
  });
}

function renderSummary(plan: Plan): string {
  const count = (action: Change['action']) => plan.changes.filter((c) => c.action === action).length;
  const held = plan.holds.length === 0 ? '' : ` ${plan.holds.length} held.`;
  if (plan.changes.length === 0) return plan.holds.length === 0 ? 'No changes. The host matches the manifests.' : `No changes now.${held}`;
  return `Plan: ${count('start')} to start, ${count('restart')} to restart, ${count('stop')} to stop.${held}`;
}

export function renderPlanText(plan: Plan, { color }: PlanTextOptions): string {
  const paint: Paint = color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const lines = [...plan.changes.map((c) => renderChange(c, paint)), ...plan.holds.map((h) => renderHold(h, paint))];
  const waves = renderWaves(plan);
  const sections = [lines, waves, [renderSummary(plan)]].filter((section) => section.length > 0);
  return `${sections.map((section) => section.join('\n')).join('\n\n')}\n`;
}
