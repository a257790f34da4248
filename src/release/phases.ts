// The phased verbs an over-the-air engine drives (docs/fleet.md, "Phases"): prepare, apply, verify,
// commit, rollback. Each takes the release lock, reads the record, does its work, and writes the
// record once the work is done; each can be run again after a crash (a crash point in each) or a
// failure, and does only what is left. Convergence is the ordinary reconcile pass, on the host
// port, with the release's desired state.

import { resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { DesiredState, HostSpec } from '../model/host-spec.js';
import type { Plan } from '../model/plan.js';
import type { ExecutionHooks, ExecutionResult } from '../executor/execute-plan.js';
import { previewPass, runPass } from '../executor/reconcile-pass.js';
import type { LoadResult } from '../manifest/load.js';
import type { RuntimeTuning } from '../runtime/context.js';
import { crashPoint } from '../runtime/crash-point.js';
import { createHost } from '../runtime/create-host.js';
import type { HostPort } from '../runtime/port.js';
import { describeRevision, shortDigest, type Bundle } from './bundle.js';
import { checkRelease, releaseTarget, type VerifyCheck } from './converge.js';
import { committed, noted, rolledBack, type ReleaseOutcome, type ReleaseRecord, type ReleaseRef, type ReleaseVerb } from './record.js';
import type { ReleaseStore } from './store.js';

/** A verb refused or failed: one line for people, the exit code, and the manifests' problems if any. */
export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
  readonly exitCode: number;
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, options: { readonly exitCode?: number; readonly diagnostics?: readonly Diagnostic[] } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? 1;
    this.diagnostics = options.diagnostics ?? [];
  }
}

export interface ReleaseContext {
  readonly store: ReleaseStore;
  /** `--state-dir`: the host's state directory instead of the Host manifest's. */
  readonly stateDir?: string | undefined;
  readonly tuning?: Partial<RuntimeTuning>;
  readonly now?: () => number;
}

const short = (ref: { digest: string }): string => shortDigest(ref.digest);
const name = (ref: ReleaseRef): string => `${short(ref)} (${describeRevision(ref.revision)})`;

/** Runs `fn` under the release lock with the current record. */
async function locked<T>(ctx: ReleaseContext, fn: (record: ReleaseRecord) => Promise<T>): Promise<T> {
  const lock = await ctx.store.lock();
  try {
    return await fn(await ctx.store.readRecord());
  } finally {
    await lock.release();
  }
}

// A stored release's desired state, with --state-dir applied as every command applies it.
async function desiredOf(ctx: ReleaseContext, digest: string): Promise<{ desired: DesiredState; loaded: LoadResult }> {
  if (!(await ctx.store.hasTree(digest))) throw new ReleaseError(`release ${shortDigest(digest)} is not in ${ctx.store.root} any more (its tree was removed); prepare its bundle again`);
  const loaded = await ctx.store.load(digest);
  if (loaded.desired === undefined) {
    throw new ReleaseError(`the manifests of release ${shortDigest(digest)} are ${loaded.status}; nothing was changed`, { diagnostics: loaded.diagnostics });
  }
  const host = loaded.desired.host;
  const stateDir = ctx.stateDir === undefined ? host.stateDir : host.connection.kind === 'ssh' ? ctx.stateDir : resolve(ctx.stateDir);
  return { desired: { ...loaded.desired, host: { ...host, stateDir } }, loaded };
}

async function withHost<T>(ctx: ReleaseContext, host: HostSpec, fn: (runtime: HostPort) => Promise<T>): Promise<T> {
  const runtime = createHost({ host, ...(ctx.tuning === undefined ? {} : { tuning: ctx.tuning }) });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function outcome(ctx: ReleaseContext, verb: ReleaseVerb, digest: string, ok: boolean, message: string): ReleaseOutcome {
  return { verb, digest, ok, at: (ctx.now ?? Date.now)(), message };
}

// The releases a target replaces: whatever the host may run now that is not the target.
async function replacedBy(ctx: ReleaseContext, record: ReleaseRecord, target: string): Promise<DesiredState[]> {
  const others = [...new Set([record.current?.digest, record.applied, record.staged?.digest])].filter((d): d is string => d !== undefined && d !== null && d !== target);
  const states: DesiredState[] = [];
  for (const digest of others) if (await ctx.store.hasTree(digest)) states.push((await desiredOf(ctx, digest)).desired);
  return states;
}

// What identifies the host a release drives: a release may change guests, never which host.
function hostIdentity(host: HostSpec): string {
  const c = host.connection;
  const connection = c.kind === 'local' ? 'local' : `ssh://${c.user ?? ''}@${c.host}:${c.port ?? 22}`;
  return JSON.stringify({ connection, stateDir: host.stateDir, qvm: host.qvm });
}

function checkDigest(record: ReleaseRecord, digest: string | undefined, verb: ReleaseVerb): ReleaseRef {
  const staged = record.staged;
  if (staged === null) {
    const what = record.current === null ? 'no release is staged' : `no release is staged (${name(record.current)} is committed)`;
    throw new ReleaseError(`${what}: nothing to ${verb}; run \`qvmctl release prepare BUNDLE\` first`);
  }
  if (digest !== undefined && digest !== staged.digest) {
    throw new ReleaseError(`the staged release is ${name(staged)}, not this bundle's ${shortDigest(digest)}: ${verb} it by the staged bundle, or roll it back first`);
  }
  return staged;
}

export interface PrepareResult {
  readonly record: ReleaseRecord;
  /** What apply would do now. */
  readonly plan: Plan;
  readonly diagnostics: readonly Diagnostic[];
  /** The bundle was staged already (the record is unchanged). */
  readonly again: boolean;
}

/**
 * Stages a bundle beside the current release: its tree stored, its manifests validated, its host
 * checked to be the one the applied release drives, and the plan of what apply would do.
 * Changes no guest.
 */
export function prepareRelease(ctx: ReleaseContext, bundle: Bundle): Promise<PrepareResult> {
  const digest = bundle.meta.digest;
  return locked(ctx, async (record) => {
    const staged = record.staged;
    if (staged !== null && staged.digest !== digest && record.phase !== 'prepared') {
      throw new ReleaseError(`release ${name(staged)} is ${record.phase}: commit it or roll it back before preparing another; nothing was changed`);
    }
    if (staged?.digest === digest && record.phase === 'rolling-back') {
      throw new ReleaseError(`the rollback of release ${name(staged)} did not finish: run \`qvmctl release rollback\` first; nothing was changed`);
    }
    await ctx.store.storeTree(bundle);
    const { desired, loaded } = await desiredOf(ctx, digest);
    if (record.applied !== null && record.applied !== digest && (await ctx.store.hasTree(record.applied))) {
      const running = (await desiredOf(ctx, record.applied)).desired.host;
      if (hostIdentity(running) !== hostIdentity(desired.host)) {
        throw new ReleaseError(`the bundle's Host is not the host release ${shortDigest(record.applied)} drives (connection, state directory or qvm differ): a release changes guests, not the host; nothing was changed`);
      }
    }
    const target = releaseTarget(desired, await replacedBy(ctx, record, digest));
    const plan = await withHost(ctx, target.host, async (runtime) => (await previewPass({ desired: target, runtime, explicit: true })).plan);
    crashPoint('release:prepare-after-store');
    if (staged?.digest === digest) return { record, plan, diagnostics: loaded.diagnostics, again: true };
    const ref: ReleaseRef = { digest, revision: bundle.meta.revision, preparedAt: (ctx.now ?? Date.now)() };
    const next = noted({ ...record, staged: ref, phase: 'prepared' }, outcome(ctx, 'prepare', digest, true, `prepared: ${plan.changes.length} change(s) planned`));
    await ctx.store.writeRecord(next);
    return { record: next, plan, diagnostics: loaded.diagnostics, again: false };
  });
}

export interface ConvergeResult {
  readonly record: ReleaseRecord;
  readonly plan: Plan;
  readonly execution: ExecutionResult;
}

function failedSteps(execution: ExecutionResult): string {
  const failed = execution.steps.filter((s) => s.status === 'failed').map((s) => `${s.kind} ${s.guest}: ${s.detail}`);
  const stuck = execution.stuck.map((g) => `${g} is stuck`);
  return [...failed, ...stuck].join('; ') || 'steps were cut short';
}

/**
 * Converges the host to the staged release (guests it drops are stopped). Recorded `applying`
 * before the pass and `applied` once every step succeeded; run again, it does what is left.
 */
export function applyRelease(ctx: ReleaseContext, options: { readonly digest?: string | undefined; readonly hooks?: ExecutionHooks }): Promise<ConvergeResult> {
  return locked(ctx, async (record) => {
    const staged = checkDigest(record, options.digest, 'apply');
    if (record.phase === 'rolling-back') throw new ReleaseError(`the rollback of release ${name(staged)} did not finish: run \`qvmctl release rollback\` to finish it; nothing was changed`);
    const { desired } = await desiredOf(ctx, staged.digest);
    const target = releaseTarget(desired, await replacedBy(ctx, record, staged.digest));
    let current: ReleaseRecord = record.phase === 'applying' && record.applied === staged.digest ? record : { ...record, phase: 'applying', applied: staged.digest };
    if (current !== record) await ctx.store.writeRecord(current);
    await ctx.store.pointAt(staged.digest);
    let stepsEnded = 0;
    const hooks: ExecutionHooks = {
      ...options.hooks,
      onStepEnd: (result) => {
        options.hooks?.onStepEnd?.(result);
        stepsEnded += 1;
        // Mid-apply: some steps done, the rest not begun or under way.
        if (stepsEnded === 1) crashPoint('release:apply-mid-pass');
      },
    };
    const pass = await withHost(ctx, target.host, (runtime) => runPass({ desired: target, runtime, explicit: true, hooks })).catch(async (error: unknown) => {
      await ctx.store.writeRecord(noted(current, outcome(ctx, 'apply', staged.digest, false, error instanceof Error ? error.message : String(error))));
      throw error;
    });
    const ok = pass.execution.ok && (pass.execution.fenced ?? []).length === 0;
    current = ok
      ? noted({ ...current, phase: 'applied' }, outcome(ctx, 'apply', staged.digest, true, `applied: ${pass.execution.steps.length} step(s)`))
      : noted(current, outcome(ctx, 'apply', staged.digest, false, `apply failed: ${failedSteps(pass.execution)}`));
    await ctx.store.writeRecord(current);
    return { record: current, plan: pass.plan, execution: pass.execution };
  });
}

export interface VerifyOptions {
  readonly digest?: string | undefined;
  /** Fail when the release is not there by then. */
  readonly timeoutMs: number;
  /** How long each guest must have run ready with the release's configuration. */
  readonly stableMs: number;
  /** Between looks. @default 250 */
  readonly intervalMs?: number;
  readonly onCheck?: (check: VerifyCheck) => void;
}

export interface VerifyResult {
  readonly record: ReleaseRecord;
  readonly ok: boolean;
  readonly check: VerifyCheck;
  readonly elapsedMs: number;
}

/**
 * Waits, changing nothing, until every guest the staged release runs is ready with the release's
 * configuration and has run `stableMs`, and every guest it stops is gone; fails at the first
 * thing that cannot come right by waiting (a guest gone, restarted, or on another configuration),
 * or at `timeoutMs`.
 */
export function verifyRelease(ctx: ReleaseContext, options: VerifyOptions): Promise<VerifyResult> {
  const now = ctx.now ?? Date.now;
  return locked(ctx, async (record) => {
    const staged = checkDigest(record, options.digest, 'verify');
    if (record.phase !== 'applied' && record.phase !== 'verified') {
      const hint = record.phase === 'prepared' ? 'it is not applied yet: run `qvmctl release apply`' : record.phase === 'applying' ? 'its apply did not finish: run `qvmctl release apply` again' : 'run `qvmctl release rollback` to finish the rollback';
      throw new ReleaseError(`release ${name(staged)} is ${record.phase}: ${hint}`);
    }
    const { desired } = await desiredOf(ctx, staged.digest);
    const target = releaseTarget(desired, await replacedBy(ctx, record, staged.digest));
    const started = now();
    const seen = new Map<string, number>();
    const check = await withHost(ctx, target.host, async (runtime) => {
      for (;;) {
        const look = await previewPass({ desired: target, runtime, explicit: true });
        const result = checkRelease({ desired: target, observation: look.observation, histories: look.histories, plan: look.plan, seen, now: now(), stableMs: options.stableMs });
        options.onCheck?.(result);
        if (result.done || result.failed.length > 0) return result;
        if (now() - started >= options.timeoutMs) return { ...result, failed: [`not there after ${(options.timeoutMs / 1000).toFixed(0)} s: ${result.waiting.join('; ')}`] };
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
      }
    });
    const ok = check.done;
    if (ok) crashPoint('release:verify-before-record');
    const next = ok
      ? noted({ ...record, phase: 'verified' }, outcome(ctx, 'verify', staged.digest, true, 'verified'))
      : noted(record, outcome(ctx, 'verify', staged.digest, false, `verify failed: ${check.failed.join('; ')}`));
    await ctx.store.writeRecord(next);
    return { record: next, ok, check, elapsedMs: now() - started };
  });
}

export interface CommitResult {
  readonly record: ReleaseRecord;
  /** It was committed already: nothing changed but the old trees' removal. */
  readonly again: boolean;
}

/** The verified staged release becomes current; the trees no longer needed are removed. */
export function commitRelease(ctx: ReleaseContext, options: { readonly digest?: string | undefined }): Promise<CommitResult> {
  return locked(ctx, async (record) => {
    let next = record;
    const again = record.staged === null && record.phase === 'committed' && record.current !== null && (options.digest === undefined || options.digest === record.current.digest);
    if (!again) {
      const staged = checkDigest(record, options.digest, 'commit');
      if (record.phase !== 'verified') {
        throw new ReleaseError(`release ${name(staged)} is ${record.phase}, not verified: run \`qvmctl release verify\` first (only a verified release is committed)`);
      }
      const at = (ctx.now ?? Date.now)();
      next = noted(committed(record, at), outcome(ctx, 'commit', staged.digest, true, 'committed'));
      await ctx.store.writeRecord(next);
      crashPoint('release:commit-after-record');
    }
    await ctx.store.pointAt(next.applied);
    await ctx.store.keepOnly([next.current?.digest, next.applied]);
    return { record: next, again };
  });
}

export interface RollbackResult extends Partial<ConvergeResult> {
  readonly record: ReleaseRecord;
  /** Nothing was staged: it was rolled back already. */
  readonly again: boolean;
}

/**
 * Converges the host back to the committed release (guests the staged one added are stopped) and
 * drops the staged one. Recorded `rolling-back` before the pass, `rolled-back` once it succeeded.
 * With no committed release there is nothing to go back to: the guests are left as they are, the
 * staged release is dropped, and it fails.
 */
export function rollbackRelease(ctx: ReleaseContext, options: { readonly digest?: string | undefined; readonly hooks?: ExecutionHooks }): Promise<RollbackResult> {
  return locked(ctx, async (record) => {
    if (record.staged === null && record.phase === 'rolled-back') {
      const last = record.history.at(-1);
      if (options.digest === undefined || last?.digest === options.digest) return { record, again: true };
    }
    // A bundle that was never staged (its prepare failed) and that the host does not run: nothing to undo.
    if (options.digest !== undefined && record.staged?.digest !== options.digest && record.applied !== options.digest && (record.staged === null || record.phase === 'prepared')) {
      return { record, again: true };
    }
    const staged = checkDigest(record, options.digest, 'rollback');
    const at = (ctx.now ?? Date.now)();
    if (record.phase === 'prepared') {
      // Staged but never applied: the host was not touched; dropping it is the whole rollback.
      const next = noted(rolledBack(record, at), outcome(ctx, 'rollback', staged.digest, true, `dropped release ${name(staged)}: it was prepared, not applied`));
      await ctx.store.writeRecord(next);
      await ctx.store.keepOnly([next.current?.digest, next.applied]);
      return { record: next, again: false };
    }
    const current = record.current;
    if (current === null) {
      const message = `there is no committed release to return to: the guests of release ${name(staged)} are left as they are (stop them with \`qvmctl shutdown --no-host\`, or install a release that works)`;
      const next = noted(rolledBack(record, at), outcome(ctx, 'rollback', staged.digest, false, message));
      await ctx.store.writeRecord(next);
      await ctx.store.keepOnly([next.applied]);
      throw new ReleaseError(message);
    }
    const { desired } = await desiredOf(ctx, current.digest);
    const target = releaseTarget(desired, await replacedBy(ctx, record, current.digest));
    let next: ReleaseRecord = record.phase === 'rolling-back' ? record : { ...record, phase: 'rolling-back', applied: current.digest };
    if (next !== record) await ctx.store.writeRecord(next);
    await ctx.store.pointAt(current.digest);
    const pass = await withHost(ctx, target.host, (runtime) => runPass({ desired: target, runtime, explicit: true, ...(options.hooks === undefined ? {} : { hooks: options.hooks }) })).catch(async (error: unknown) => {
      await ctx.store.writeRecord(noted(next, outcome(ctx, 'rollback', staged.digest, false, error instanceof Error ? error.message : String(error))));
      throw error;
    });
    crashPoint('release:rollback-after-pass');
    const ok = pass.execution.ok && (pass.execution.fenced ?? []).length === 0;
    next = ok
      ? noted(rolledBack(next, at), outcome(ctx, 'rollback', staged.digest, true, `rolled back to ${name(current)}`))
      : noted(next, outcome(ctx, 'rollback', staged.digest, false, `rollback failed: ${failedSteps(pass.execution)}`));
    await ctx.store.writeRecord(next);
    if (ok) await ctx.store.keepOnly([next.current?.digest, next.applied]);
    return { record: next, plan: pass.plan, execution: pass.execution, again: false };
  });
}
