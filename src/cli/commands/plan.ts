// `qvmctl plan`: what apply would do and why (a dry run); optionally saved for a later apply.
// Like `apply`, it reads the working tree, also in a git checkout (the daemon reads the commit:
// docs/daemon.md, "Settled input"); it says so when the two differ.

import type { Command } from 'commander';
import { readGitRevision } from '../../daemon/git-revision.js';
import { previewPass } from '../../executor/reconcile-pass.js';
import { fingerprintObservation, SAVED_PLAN_FORMAT, type SavedPlan } from '../../executor/saved-plan.js';
import { writeFileAtomic } from '../../runtime/state/atomic-file.js';
import { toPlanJson } from '../../render/plan-json.js';
import { renderPlanText } from '../../render/plan-text.js';
import { openHost, useColor } from '../host-context.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';

interface PlanOptions extends ManifestOptions, OutputOptions, StateDirOptions {
  readonly out?: string;
  readonly detailedExitcode?: boolean;
}

export function registerPlan(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('plan')
    .description('show what apply would do, and why (changes nothing)')
    .option('--out <file>', 'save the plan for `qvmctl apply FILE`')
    .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when none, 1 on error');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (options: PlanOptions) => {
    // git runs beside the loading and the look (it never fails a plan: no checkout is no note).
    const looking = readGitRevision(options.manifests).catch(() => undefined);
    const host = await openHost(options, io, undefined, 'look');
    const [prepared, revision] = await Promise.all([previewPass({ ...host.target, explicit: true }), looking]);
    if (revision?.dirty === true) {
      io.err(`note: this plan is of the working tree of ${options.manifests}, which differs from its HEAD commit ${revision.commit.slice(0, 12)}; \`qvmctl run\` applies commits only: commit the change for a daemon to apply it\n`);
    }
    const { plan } = prepared;
    if (options.out !== undefined) {
      const saved: SavedPlan = {
        format: SAVED_PLAN_FORMAT,
        createdAt: Date.now(),
        manifests: host.loaded.fingerprint,
        observed: fingerprintObservation(prepared.observation),
        plan,
      };
      await writeFileAtomic(options.out, `${JSON.stringify(saved, null, 2)}\n`);
    }
    if (options.output === 'json') io.document('Plan', { ...toPlanJson(plan), savedTo: options.out ?? null });
    else io.out(renderPlanText(plan, { color: useColor() }));
    if (options.out !== undefined && options.output !== 'json') io.out(`\nSaved to ${options.out}. Apply exactly this plan with: qvmctl apply ${options.out}\n`);
    result.exitCode = options.detailedExitcode === true && plan.changes.length > 0 ? 2 : 0;
  });
}
