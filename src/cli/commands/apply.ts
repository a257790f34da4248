// `qvmctl apply [PLANFILE]`: converge once, printing progress as it goes. With a saved plan, apply
// exactly that plan, and refuse it if the manifests or the running processes changed since.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ExecutionResult } from '../../executor/execute-plan.js';
import { assertUnfenced, FencedPlanError, runPass, type PreparedPass } from '../../executor/reconcile-pass.js';
import { assertPlanCurrent, fingerprintObservation, InvalidPlanFileError, parseSavedPlan, StalePlanError, type SavedPlan } from '../../executor/saved-plan.js';
import type { Plan } from '../../model/plan.js';
import { toPlanJson } from '../../render/plan-json.js';
import { renderPlanText } from '../../render/plan-text.js';
import { CliError, describeFencedSteps, FENCED_EXIT_CODE } from '../errors.js';
import { openHost, useColor } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { createProgressHooks, summarizeExecution } from '../progress.js';

type ApplyOptions = ManifestOptions & OutputOptions & StateDirOptions;

export function registerApply(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('apply')
    .argument('[planfile]', 'a plan saved by `qvmctl plan --out`')
    .description('converge the host to the manifests once (or apply a saved plan)');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (planFile: string | undefined, options: ApplyOptions) => {
    const saved = planFile === undefined ? undefined : await readSavedPlan(planFile);
    const host = await openHost(options, io);
    const text = options.output === 'text';
    const showPlan = (plan: Plan): void => {
      if (text) io.out(`${renderPlanText(plan, { color: useColor() })}\n`);
    };
    const choosePlan = (prepared: PreparedPass): Plan => {
      if (saved !== undefined) assertPlanCurrent(saved, { manifests: host.loaded.fingerprint, observed: fingerprintObservation(prepared.observation) });
      const plan = saved?.plan ?? prepared.plan;
      assertUnfenced(prepared.fence, plan);
      showPlan(plan);
      return plan;
    };
    try {
      const pass = await runPass({
        ...host.target,
        explicit: true,
        choosePlan,
        ...(text ? { hooks: createProgressHooks(io) } : {}),
      });
      report('apply', pass.plan, pass.execution, options.output, io);
      const fenced = describeFencedSteps(pass.execution);
      if (fenced !== undefined) io.err(`qvmctl: ${fenced}\n`);
      result.exitCode = fenced !== undefined ? FENCED_EXIT_CODE : pass.execution.ok ? 0 : 1;
    } catch (error) {
      if (error instanceof StalePlanError) throw new CliError(error.message, { cause: error });
      if (error instanceof FencedPlanError) throw new CliError(error.message, { cause: error, exitCode: FENCED_EXIT_CODE });
      throw error;
    }
  });
}

async function readSavedPlan(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read plan file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  try {
    return parseSavedPlan(text, file);
  } catch (error) {
    if (error instanceof InvalidPlanFileError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

/** What `apply`, `start`, `stop` and `restart` print at the end: the summary, or an ApplyResult. */
export function report(action: 'apply' | 'start' | 'stop' | 'restart', plan: Plan, execution: ExecutionResult, output: ApplyOptions['output'], io: CliOutput): void {
  if (output === 'json') {
    io.document('ApplyResult', {
      action,
      ok: execution.ok,
      failed: execution.failed,
      stuck: execution.stuck,
      fenced: (execution.fenced ?? []).map((s) => ({ guest: s.guest, kind: s.kind })),
      plan: toPlanJson(plan),
      steps: execution.steps.map(stepJson),
    });
    return;
  }
  // Nothing was done: the plan's own last line ("No changes…") has said so.
  if (execution.steps.length === 0) return;
  io.out(`\n${summarizeExecution(plan, execution)}\n`);
}

function stepJson(step: ExecutionResult['steps'][number]) {
  return {
    guest: step.guest,
    kind: step.kind,
    status: step.status,
    detail: step.detail,
    pid: step.started?.pid ?? null,
    ladderStep: step.stop?.result === 'stopped' ? step.stop.step : step.stop?.lastStep ?? null,
    elapsedMs: step.elapsedMs ?? null,
  };
}
