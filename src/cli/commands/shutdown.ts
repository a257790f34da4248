// `qvmctl shutdown`: the hypervisor host shutdown sequence (fence, ordered guest stops, confirm no
// qvm lives, host command). `--dry-run` prints the waves, budgets and worst case instead.
// Exit codes: 0 done, 1 error or host command failed, 2 blocked (a qvm still lives), 3 refused;
// `--dry-run` exits 3 or 2 when the real run would be refused or blocked by unmanaged qvm.

import { observeHost } from '../../executor/observe-host.js';
import { Option, type Command } from 'commander';
import { runShutdownSequence, SHUTDOWN_TUNING, shutdownWorstCase, withUnmanagedPolicy, type ShutdownMode, type ShutdownResult } from '../../executor/shutdown-sequence.js';
import { fallbackShutdown } from '../../planner/shutdown-plan.js';
import { createShutdownPlan, type ShutdownPlan } from '../../planner/shutdown-plan.js';
import { renderShutdownPlanText } from '../../render/shutdown-plan-text.js';
import type { UnmanagedPolicy } from '../../model/host-spec.js';
import type { UnmanagedProcess } from '../../model/observed.js';
import { CliError } from '../errors.js';
import { openHost } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { createProgressHooks, renderShutdownResultText } from '../shutdown-report.js';

interface ShutdownOptions extends ManifestOptions, OutputOptions, StateDirOptions {
  readonly reboot?: boolean;
  /** commander's `--no-host`: false when given. */
  readonly host: boolean;
  readonly forceHost?: boolean;
  readonly dryRun?: boolean;
  readonly unmanaged?: UnmanagedPolicy;
}

export function registerShutdown(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('shutdown')
    .description('stop every guest in reverse dependency order, confirm no qvm lives, then power the host off');
  addManifestOption(command);
  addOutputOption(command);
  addStateDirOption(command)
    .option('--reboot', 'run the Host\'s shutdown.rebootCommand instead of shutdown.command')
    .option('--no-host', 'stop the guests but do not run any host command')
    .option('--force-host', 'run the host command even when a guest is stuck or a qvm still lives')
    .option('--dry-run', 'print the waves, each guest\'s budget and the worst case against shutdown.deadline')
    // A power-loss trigger (a UPS daemon) passes `stop`: the host goes down anyway (docs/shutdown.md).
    .addOption(new Option('--unmanaged <policy>', 'qvm processes no manifest explains, for this run: stop (the power button), leave or refuse (default: Host shutdown.unmanaged)').choices(['stop', 'leave', 'refuse']));
  command.action(async (options: ShutdownOptions) => {
    if (options.reboot === true && !options.host) throw new CliError('Expected at most one of `--reboot` and `--no-host`', { reason: 'usage' });
    const opened = await openHost(options, io, SHUTDOWN_TUNING);
    const { runtime } = opened;
    const desired = withUnmanagedPolicy(opened.desired, options.unmanaged);
    const json = options.output === 'json';

    if (options.dryRun === true) {
      const { observation: observed } = await observeHost({ runtime, desired, persist: false });
      const plan = createShutdownPlan({ desired, running: observed.guests, unmanaged: observed.unmanaged, fallbackShutdown: fallbackShutdown(desired.host) });
      // The worst case counts the wait for a pass under way as well as the ladders (docs/shutdown.md, "Dry run").
      const worst = shutdownWorstCase(plan);
      if (json) {
        io.document('ShutdownPlan', { ...plan, ...worst });
      } else {
        io.out(renderShutdownPlanText({ ...plan, criticalPathMs: worst.worstCaseMs, withinDeadline: worst.withinDeadline }));
        io.out(`(${seconds(worst.passLockWaitMs)} at most for a reconcile pass under way to give way, then ${seconds(plan.criticalPathMs)} of stop ladders along the slowest chain)\n`);
      }
      if (!worst.withinDeadline) io.err(`qvmctl: warning: the worst case (${worst.worstCaseMs} ms) does not fit shutdown.deadline (${plan.deadlineMs} ms)\n`);
      // The code the real run would end with, as far as a look can tell (docs/shutdown.md, "Dry run").
      result.exitCode = dryRunExitCode(plan);
      if (plan.refused.length > 0) {
        io.err(`qvmctl: the shutdown would be refused: unmanaged qvm ${processes(plan.refused)} (shutdown.unmanaged: refuse). Stop ${plan.refused.length > 1 ? 'them' : 'it'} first, or run \`qvmctl shutdown --unmanaged stop\` to give ${plan.refused.length > 1 ? 'them' : 'it'} the power button\n`);
      } else if (plan.left.length > 0) {
        io.err(`qvmctl: the shutdown would be blocked: unmanaged qvm ${processes(plan.left)} would be left running (shutdown.unmanaged: leave), so the host command would not run. Stop ${plan.left.length > 1 ? 'them' : 'it'} first, or run \`qvmctl shutdown --unmanaged stop\`\n`);
      }
      return;
    }

    const mode: ShutdownMode = !options.host ? 'none' : options.reboot === true ? 'reboot' : 'poweroff';
    // Progress goes to stderr (a Message document per line with -o json): stdout holds the result.
    const progress = (line: string): void => { io.err(`${line}\n`); };
    const hooks = {
      ...createProgressHooks(progress),
      onPassLockBusy: (pid: number | undefined) => {
        progress(`a reconcile pass${pid === undefined ? '' : ` (pid ${pid})`} is still under way: stopping without waiting for it (the fence keeps it from starting anything)`);
      },
    };
    const outcome = await runShutdownSequence({ desired, runtime, mode, forceHost: options.forceHost === true, hooks });
    if (json) io.document('ShutdownResult', outcome);
    else io.out(renderShutdownResultText(outcome));
    result.exitCode = exitCodeOf(outcome);
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

const EXIT_BLOCKED = 2;
const EXIT_REFUSED = 3;

function exitCodeOf(outcome: ShutdownResult): number {
  if (outcome.status === 'refused') return EXIT_REFUSED;
  if (outcome.status === 'blocked') return EXIT_BLOCKED;
  return outcome.ok ? 0 : 1;
}

/**
 * A dry run exits as the real run would where the look already tells: 3 when unmanaged qvm make it
 * refuse, 2 when they would be left running (a qvm alive at the confirming look blocks, even with
 * `--force-host` or `--no-host`), else 0 (whether a guest gets stuck shows only when it is stopped).
 */
function dryRunExitCode(plan: ShutdownPlan): number {
  if (plan.refused.length > 0) return EXIT_REFUSED;
  if (plan.left.length > 0) return EXIT_BLOCKED;
  return 0;
}

function processes(list: readonly UnmanagedProcess[]): string {
  return `process${list.length > 1 ? 'es' : ''} ${list.map((p) => p.pid).join(', ')}`;
}
