// `qvmctl start|stop|restart NAME`: one guest, with its dependencies (start), its dependents
// (stop) or both around it (restart), each through readiness gates and stop ladders.
// While the shutdown fence is up, `start` and `restart` are refused whole (exit 3); `stop` is not.

import type { Command } from 'commander';
import { assertUnfenced, FencedPlanError, runPass } from '../../executor/reconcile-pass.js';
import { createOneOffPlan, UnknownGuestError, type OneOffAction } from '../../planner/one-off-plan.js';
import { renderPlanText } from '../../render/plan-text.js';
import { CliError, describeFencedSteps, FENCED_EXIT_CODE } from '../errors.js';
import { openHost, useColor } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { createProgressHooks, summarizeExecution } from '../progress.js';
import { report } from './apply.js';

const DESCRIPTIONS: Readonly<Record<OneOffAction, string>> = {
  start: 'start a guest (and the dependencies it needs that are not running)',
  stop: 'stop a guest with its stop ladder (after the running guests that depend on it)',
  restart: 'restart a guest (and restart the guests that depend on it around it)',
};

export function registerOneOff(program: Command, io: CliOutput, result: CommandResult): void {
  for (const action of ['start', 'stop', 'restart'] as const) {
    const command = program.command(action).argument('<name>', 'guest name').description(DESCRIPTIONS[action]);
    addManifestOption(command);
    addStateDirOption(command);
    addOutputOption(command);
    command.action(async (name: string, options: ManifestOptions & StateDirOptions & OutputOptions) => {
      const host = await openHost(options, io);
      const text = options.output === 'text';
      try {
        const pass = await runPass({
          ...host.target,
          explicit: true,
          ...(text ? { hooks: createProgressHooks(io) } : {}),
          choosePlan: (prepared) => {
            const plan = createOneOffPlan({ action, name, desired: host.desired, running: prepared.observation.guests, unmanaged: prepared.observation.unmanaged });
            assertUnfenced(prepared.fence, plan);
            if (text) io.out(`${renderPlanText(plan, { color: useColor() })}\n`);
            return plan;
          },
        });
        if (text) io.out(`\n${summarizeExecution(pass.plan, pass.execution)}\n`);
        else report(action, pass.plan, pass.execution, options.output, io);
        const fenced = describeFencedSteps(pass.execution);
        if (fenced !== undefined) io.err(`qvmctl: ${fenced}\n`);
        const refused = pass.plan.holds.filter((h) => h.reason === 'system-in-use');
        for (const hold of refused) io.err(`qvmctl: ${hold.guest}: ${hold.detail}\n`);
        result.exitCode = fenced !== undefined ? FENCED_EXIT_CODE : pass.execution.ok && refused.length === 0 ? 0 : 1;
      } catch (error) {
        if (error instanceof UnknownGuestError) throw new CliError(error.message, { cause: error, reason: 'not-found' });
        if (error instanceof FencedPlanError) throw new CliError(error.message, { cause: error, exitCode: FENCED_EXIT_CODE });
        throw error;
      }
    });
  }
}
