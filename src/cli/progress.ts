// Live progress of an apply for people: one line as each step starts and ends, on stderr, so
// stdout carries only the plan and the result (docs/cli.md, "Output streams").

import type { Plan } from '../model/plan.js';
import type { ExecutionHooks, ExecutionResult, StepResult } from '../executor/execute-plan.js';
import type { StopStep } from '../runtime/port.js';
import type { Output } from './output.js';
import { glyphsFor, type Glyphs } from './terminal.js';

const LADDER: Readonly<Record<StopStep, string>> = {
  'guest-command': 'asking the guest to shut down',
  'power-button': 'pressing the power button (SIGTERM)',
  'power-cut': 'cutting the power (SIGQUIT)',
};

const VERB: Readonly<Record<StepResult['kind'], Readonly<Record<StepResult['status'], string>>>> = {
  start: { done: 'started', failed: 'start failed', skipped: 'start skipped' },
  stop: { done: 'stopped', failed: 'stop failed', skipped: 'stop skipped' },
};

/** `glyphs`: ✓ ✗ … when stderr is a terminal, ASCII into a pipe (terminal.ts). */
export function createProgressHooks(io: Output, glyphs: Glyphs = glyphsFor(process.stderr)): ExecutionHooks {
  return {
    onStepStart: (step) => { io.err(`  ${step.guest}: ${step.kind === 'start' ? 'starting' : 'stopping'}${glyphs.ellipsis}\n`); },
    onLadderStep: (guest, step) => { io.err(`  ${guest}: ${LADDER[step]}\n`); },
    onStepEnd: (result) => { io.err(`${glyphs[result.status]} ${result.guest}: ${VERB[result.kind][result.status]}: ${result.detail}${elapsed(result)}\n`); },
  };
}

function elapsed(result: StepResult): string {
  return result.elapsedMs === undefined ? '' : ` (${(result.elapsedMs / 1000).toFixed(1)}s)`;
}

/** The closing line, naming every guest that failed or is stuck. */
export function summarizeExecution(plan: Plan, execution: ExecutionResult): string {
  if (execution.steps.length === 0) {
    return plan.holds.length === 0 ? 'Nothing to do. The host matches the manifests.' : `Nothing to do now: ${plan.holds.length} held (see above).`;
  }
  const done = (kind: StepResult['kind']) => new Set(execution.steps.filter((s) => s.kind === kind && s.status === 'done').map((s) => s.guest));
  const [started, stopped] = [done('start'), done('stop')];
  const restarted = [...started].filter((g) => stopped.has(g)).length;
  const counts = `${started.size - restarted} started, ${restarted} restarted, ${stopped.size - restarted} stopped`;
  if (execution.ok) return `Apply complete: ${counts}.`;
  const failed = execution.failed.filter((g) => !execution.stuck.includes(g));
  const skipped = execution.steps.filter((s) => s.status === 'skipped').map((s) => `${s.kind} ${s.guest}`);
  return [
    `Apply incomplete (${counts}).`,
    ...(failed.length > 0 ? [`Failed: ${failed.join(', ')}.`] : []),
    ...(execution.stuck.length > 0 ? [`Stuck, still running (act by hand): ${execution.stuck.join(', ')}.`] : []),
    ...(skipped.length > 0 ? [`Skipped: ${skipped.join(', ')}.`] : []),
  ].join(' ');
}
