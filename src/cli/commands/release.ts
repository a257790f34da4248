// `qvmctl release prepare|apply|verify|commit|rollback|status`: the phases an over-the-air engine
// drives (docs/fleet.md, "Phases"). The Mender Update Module in support/mender/ maps Mender's states
// to these; each can be run by hand too, and again after a crash or a failure.

import type { Command } from 'commander';
import { FencedPlanError } from '../../executor/reconcile-pass.js';
import type { ExecutionResult } from '../../executor/execute-plan.js';
import { parseDuration } from '../../manifest/duration.js';
import type { Plan } from '../../model/plan.js';
import { toPlanJson } from '../../render/plan-json.js';
import { renderPlanText } from '../../render/plan-text.js';
import { BundleError, describeRevision, shortDigest, type Bundle } from '../../release/bundle.js';
import { readBundleFile } from '../../release/bundle-files.js';
import { applyRelease, commitRelease, prepareRelease, ReleaseError, rollbackRelease, verifyRelease, type ReleaseContext } from '../../release/phases.js';
import { describeRecord, isCommitted, recordJson, ReleaseRecordError, revisionOf, type ReleaseRecord } from '../../release/record.js';
import { openReleaseStore, ReleaseStoreError } from '../../release/store.js';
import { CliError, describeFencedSteps, FENCED_EXIT_CODE } from '../errors.js';
import { useColor } from '../host-context.js';
import { addOutputOption, addStateDirOption, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { createProgressHooks, summarizeExecution } from '../progress.js';

/** Where releases are kept when neither --release-dir nor QVMCTL_RELEASE_DIR says. */
export const DEFAULT_RELEASE_DIR = '/var/lib/qvmctl/release';

interface ReleaseOptions extends OutputOptions, StateDirOptions {
  readonly releaseDir: string;
}

interface VerifyCliOptions extends ReleaseOptions {
  readonly timeout: string;
  readonly stable: string;
}

export function registerRelease(program: Command, io: CliOutput, result: CommandResult): void {
  const release = program.command('release').description('phased apply of a bundle, as an over-the-air engine drives it: prepare, apply, verify, commit, rollback');
  const sub = (name: string, description: string, bundle: 'required' | 'optional' | 'none'): Command => {
    const command = release.command(name).description(description);
    if (bundle === 'required') command.argument('<bundle>', 'the bundle file (qvmctl bundle)');
    if (bundle === 'optional') command.argument('[bundle]', 'the bundle file: refused unless it is the staged one');
    command.option('--release-dir <dir>', `where releases are kept (default: $QVMCTL_RELEASE_DIR or ${DEFAULT_RELEASE_DIR})`, process.env['QVMCTL_RELEASE_DIR'] ?? DEFAULT_RELEASE_DIR);
    addStateDirOption(command);
    addOutputOption(command);
    return command;
  };

  sub('prepare', 'check a bundle and stage it beside the current release; show what apply would do (changes no guest)', 'required')
    .action((file: string, options: ReleaseOptions) => guarded(io, async () => {
      const bundle = await readBundle(file);
      const ctx = await contextOf(options, true);
      const r = await prepareRelease(ctx, bundle);
      for (const d of r.diagnostics) io.diagnostic(d);
      if (options.output === 'json') {
        io.document('ReleaseResult', { phase: 'prepare', ok: true, again: r.again, record: recordJson(r.record), plan: toPlanJson(r.plan) });
      } else {
        io.out(`${r.again ? 'already staged' : 'staged'}: release ${shortDigest(bundle.meta.digest)} (${describeRevision(bundle.meta.revision)}) in ${ctx.store.root}; \`qvmctl release apply\` would:\n`);
        io.out(renderPlanText(r.plan, { color: useColor() }));
      }
      result.exitCode = 0;
    }));

  sub('apply', 'converge the host to the staged release (guests it drops are stopped)', 'optional')
    .action((file: string | undefined, options: ReleaseOptions) => guarded(io, async () => {
      const digest = await digestOf(file);
      const ctx = await contextOf(options, false);
      const text = options.output === 'text';
      const r = await applyRelease(ctx, { digest, ...(text ? { hooks: createProgressHooks(io) } : {}) });
      result.exitCode = reportPass(io, options, 'apply', r.record, r.plan, r.execution, 'applied (run `qvmctl release verify` next)');
    }));

  sub('verify', 'wait until every guest of the staged release is ready and has run --stable, or fail', 'optional')
    .option('--timeout <duration>', 'fail when the release is not there by then', '2m')
    .option('--stable <duration>', 'how long each guest must have run ready with the release\'s configuration', '10s')
    .action((file: string | undefined, options: VerifyCliOptions) => guarded(io, async () => {
      const timeoutMs = durationOption('--timeout', options.timeout);
      const stableMs = durationOption('--stable', options.stable);
      const digest = await digestOf(file);
      const ctx = await contextOf(options, false);
      const r = await verifyRelease(ctx, { digest, timeoutMs, stableMs });
      if (options.output === 'json') {
        io.document('ReleaseResult', { phase: 'verify', ok: r.ok, record: recordJson(r.record), failed: r.check.failed, waiting: r.check.waiting, elapsedMs: r.elapsedMs });
      } else if (r.ok) {
        io.out(`✓ verified in ${(r.elapsedMs / 1000).toFixed(1)} s: every guest of the release ready and up ${options.stable} (run \`qvmctl release commit\` next)\n`);
      } else {
        for (const f of r.check.failed) io.err(`✗ ${f}\n`);
      }
      if (!r.ok) io.err(`qvmctl: release ${shortDigest(r.record.staged?.digest ?? '')} failed verification; roll it back with \`qvmctl release rollback\`\n`);
      result.exitCode = r.ok ? 0 : 1;
    }));

  sub('commit', 'make the verified staged release the current one', 'optional')
    .action((file: string | undefined, options: ReleaseOptions) => guarded(io, async () => {
      const digest = await digestOf(file);
      const ctx = await contextOf(options, false);
      const r = await commitRelease(ctx, { digest });
      if (options.output === 'json') io.document('ReleaseResult', { phase: 'commit', ok: true, again: r.again, record: recordJson(r.record) });
      else io.out(`${r.again ? 'already committed' : 'committed'}: ${describeRecord(r.record)}\n`);
      result.exitCode = 0;
    }));

  sub('rollback', 'converge the host back to the committed release and drop the staged one', 'optional')
    .action((file: string | undefined, options: ReleaseOptions) => guarded(io, async () => {
      const digest = await digestOf(file);
      const ctx = await contextOf(options, false);
      const text = options.output === 'text';
      const r = await rollbackRelease(ctx, { digest, ...(text ? { hooks: createProgressHooks(io) } : {}) });
      if (r.plan === undefined || r.execution === undefined) {
        if (options.output === 'json') io.document('ReleaseResult', { phase: 'rollback', ok: true, again: r.again, record: recordJson(r.record) });
        else io.out(`${r.again ? 'nothing to roll back' : (r.record.last?.message ?? 'rolled back')}: ${describeRecord(r.record)}\n`);
        result.exitCode = 0;
        return;
      }
      result.exitCode = reportPass(io, options, 'rollback', r.record, r.plan, r.execution, 'rolled back');
    }));

  sub('status', 'which release the host runs, whether it is committed, and what is staged', 'none')
    .option('--inventory', 'as Mender inventory attributes (key=value lines: support/mender/mender-inventory-qvmctl)')
    .action((options: ReleaseOptions & { readonly inventory?: boolean }) => guarded(io, async () => {
      const ctx = await contextOf(options, false);
      const record = await ctx.store.readRecord();
      if (options.inventory === true) io.out(inventoryLines(record));
      else if (options.output === 'json') io.document('ReleaseStatus', { releaseDir: ctx.store.root, ...recordJson(record) });
      else io.out(`${describeRecord(record)}\n${lastLine(record)}`);
      result.exitCode = 0;
    }));
}

// Mender inventory attributes: what a fleet view filters and groups devices by (docs/fleet.md).
function inventoryLines(record: ReleaseRecord): string {
  const applied = record.applied;
  const revision = applied === null ? null : revisionOf(record, applied);
  return [
    `qvmctl_release=${applied === null ? 'none' : shortDigest(applied)}`,
    `qvmctl_release_revision=${revision === null ? 'none' : `${revision.commit.slice(0, 12)}${revision.dirty ? '+dirty' : ''}`}`,
    `qvmctl_release_committed=${isCommitted(record) ? 'yes' : 'no'}`,
    `qvmctl_release_phase=${record.phase}`,
    '',
  ].join('\n');
}

function lastLine(record: ReleaseRecord): string {
  const last = record.last;
  if (last === null) return '';
  return `last: ${last.verb} ${shortDigest(last.digest)} ${last.ok ? 'ok' : 'FAILED'} at ${new Date(last.at).toISOString()}: ${last.message}\n`;
}

function durationOption(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(`Expected \`${flag}\` to be a duration like 30s or 2m, got \`${text}\``);
  return ms;
}

async function readBundle(file: string): Promise<Bundle> {
  try {
    return await readBundleFile(file);
  } catch (error) {
    if (error instanceof BundleError) throw new CliError(`bundle ${file} is not valid: ${error.message}; nothing was changed`, { cause: error });
    throw error;
  }
}

async function digestOf(file: string | undefined): Promise<string | undefined> {
  return file === undefined ? undefined : (await readBundle(file)).meta.digest;
}

async function contextOf(options: ReleaseOptions, create: boolean): Promise<ReleaseContext> {
  const store = await openReleaseStore(options.releaseDir, { create });
  return { store, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) };
}

// A pass's progress was printed as it went; then the closing lines, or JSON.
function reportPass(io: CliOutput, options: ReleaseOptions, phase: 'apply' | 'rollback', record: ReleaseRecord, plan: Plan, execution: ExecutionResult, done: string): number {
  const fenced = describeFencedSteps(execution);
  const ok = execution.ok && fenced === undefined;
  if (options.output === 'json') {
    io.document('ReleaseResult', { phase, ok, record: recordJson(record), plan: toPlanJson(plan), failed: execution.failed, stuck: execution.stuck });
  } else {
    io.out(`\n${summarizeExecution(plan, execution)}\n`);
    if (ok) io.out(`${done}: ${describeRecord(record)}\n`);
  }
  if (fenced !== undefined) io.err(`qvmctl: ${fenced}\n`);
  else if (!ok) io.err(`qvmctl: ${record.last?.message ?? 'failed'}\n`);
  return fenced !== undefined ? FENCED_EXIT_CODE : ok ? 0 : 1;
}

// Release errors are the operator's to act on: one line (and the manifests' problems), no trace.
async function guarded(io: CliOutput, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ReleaseError) {
      throw new CliError(error.message, { cause: error, exitCode: error.exitCode, diagnostics: error.diagnostics });
    }
    if (error instanceof ReleaseStoreError || error instanceof ReleaseRecordError) throw new CliError(error.message, { cause: error });
    if (error instanceof FencedPlanError) throw new CliError(error.message, { cause: error, exitCode: FENCED_EXIT_CODE });
    throw error;
  }
}
