// One daemon pass: re-read the manifests (keeping the last good desired state when they are
// broken or not settled), run the shared reconcile pass, report what happened as data to the pass's
// sinks (pass-report.ts: logs, events and decisions, metrics), and keep the status view. Stateful
// across passes, so it is a class.
//
// Settled input only (docs/daemon.md, "Settled input"): in a git checkout the desired state is the
// commit HEAD names, read from git, never the working tree; in a plain directory a load is used only
// once every file it read has been unchanged for the debounce window.

import { relative } from 'node:path';
import { HOST_DEFAULTS } from '../manifest/defaults.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { createParseCache } from '../manifest/parse-cache.js';
import { createSettleTracker, type SettleCheck } from '../manifest/settled.js';
import type { DesiredState } from '../model/host-spec.js';
import type { GuestHistory, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { runPass, type PassResult, type PreparedPass } from '../executor/reconcile-pass.js';
import type { StepResult } from '../executor/execute-plan.js';
import { classifyExit } from '../planner/exit-policy.js';
import type { HostPort } from '../runtime/port.js';
import { HostUnreachableError } from '../runtime/ssh/errors.js';
import { CheckoutLooker, CommitCopies, workingTreeDiffers, type GitRevision } from './git-revision.js';
import { describeGuests } from '../planner/guest-status.js';
import type { DaemonStatus, GuestStatus, PassSummary } from './guest-status.js';
import type { PassOutcome, Trigger } from './pass-loop.js';
import type { PassEntry, PassSink } from './pass-report.js';

export interface ReconcilerOptions {
  readonly manifestDir: string;
  readonly stateDir: string;
  /** Where each pass's report goes as it happens (pass-sinks.ts). */
  readonly sink: PassSink;
  readonly now: () => number;
  /** The runtime for the host spec of the current desired state. */
  /** The host (fence reads before any manifest loaded). */
  readonly host: HostPort;
  readonly runtimeFor: (desired: DesiredState) => HostPort;
  /**
   * Whether a manifest directory in a git checkout is read from git (its HEAD commit) rather than as
   * a plain directory. @default true
   */
  readonly gitRevision?: boolean;
}

/** How one pass read the manifests. */
interface ManifestRead {
  readonly loaded: LoadResult;
  readonly source: 'git' | 'directory';
  /** git: the commit HEAD named. */
  readonly head?: string;
  /** directory: what was read but has not settled within `windowMs`; the load is then not used. */
  readonly settle?: SettleCheck & { readonly windowMs: number };
}

/** While a qvm runs without its monitor no exit record will wake the loop: look this often instead. */
const UNWATCHED_POLL_MS = 2_000;
/** A pass that threw is retried after this long (besides the periodic resync). */
const ERROR_RETRY_MS = 5_000;

export class Reconciler {
  readonly #o: ReconcilerOptions;
  #passes = 0;
  #lastGood: DesiredState | undefined;
  #lastLoad: LoadResult | undefined;
  #source: ManifestRead['source'] = 'directory';
  #head: string | undefined;
  /** git: the commit of the last good desired state, and since when it is used. */
  #applied: { readonly commit: string; readonly at: number } | undefined;
  #workingTreeDiffers: boolean | undefined;
  /** Files read by the last pass that had not settled (relative to the manifest directory). */
  #unsettled: readonly string[] = [];
  #reportedUnsettled: string | undefined;
  readonly #settle = createSettleTracker();
  readonly #copies = new CommitCopies();
  readonly #checkout = new CheckoutLooker();
  #reportedFingerprint: string | undefined;
  #reportedHead: string | undefined;
  #lastPass: PassSummary | undefined;
  /** Why the last pass threw; undefined when it did not. */
  #passError: string | undefined;
  #fenced = false;
  /** Why the last pass could not reach the host; undefined once one did. */
  #unreachable: string | undefined;
  #plan: Plan | undefined;
  #running = new Map<string, ObservedGuest>();
  #unmanaged: readonly UnmanagedProcess[] = [];
  #histories: ReadonlyMap<string, GuestHistory> = new Map();
  readonly #parseCache = createParseCache();
  readonly #errors = new Map<string, { stuck: boolean; detail: string }>();
  /** qvm pids whose lost monitor has been reported. */
  #lostMonitors: ReadonlySet<number> = new Set();
  /** Per guest, its last decision reported (a hold seen again is reported as repeated). */
  readonly #lastDecision = new Map<string, string>();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  get desired(): DesiredState | undefined {
    return this.#lastGood;
  }

  get passes(): number {
    return this.#passes;
  }

  /** Why the last pass threw (undefined when it did not): for readiness (docs/daemon.md). */
  get passError(): string | undefined {
    return this.#passError;
  }

  async runPass(triggers: readonly Trigger[]): Promise<PassOutcome> {
    const id = ++this.#passes;
    const report = (entry: PassEntry): void => { this.#o.sink(id, entry); };
    const startedAt = this.#o.now();
    let revision: GitRevision | undefined;
    let result: PassSummary['result'] = 'error';
    let changes = 0;
    let holds: number | undefined;
    let failure: string | undefined;
    // Only reported: whether the working tree differs from the applied commit is asked of git beside
    // the pass and awaited when the pass is summed up, so a restart after a guest exit does not wait for it.
    let readingRevision: Promise<GitRevision | undefined> = Promise.resolve(undefined);
    try {
      const read = await this.#readManifests();
      this.#acceptManifests(read, report, startedAt);
      const settling = (read.settle?.unsettled.length ?? 0) > 0;
      readingRevision = this.#readRevision();
      const desired = this.#lastGood;
      this.#fenced = (await this.#o.host.state.readFence()) !== undefined;
      const settleAt = read.settle?.settledAt;
      if (desired === undefined) {
        result = 'skipped';
        revision = await readingRevision;
        report({ kind: 'nothing-to-reconcile', triggers, revision });
        return { requeueAt: settleAt };
      }
      // A pass plans as if no stop were under way (it holds the pass lock), but the status view keeps
      // a guest that was asked to stop and still runs (a ladder that ran out of steps, perhaps before
      // this daemon started) apart from a healthy one.
      const runtime = this.#o.runtimeFor(desired);
      let stopRequested: ReadonlySet<number> = new Set();
      const observe = async (): Promise<Observation> => {
        const observed = await runtime.observe();
        stopRequested = new Set(observed.guests.filter((g) => g.stopping).map((g) => g.pid));
        return observed;
      };
      const pass = await runPass({
        desired,
        runtime: { ...runtime, observe },
        now: this.#o.now,
        explicit: false,
        fenced: this.#fenced,
        // Never prune on a directory that is empty, unreadable or still being written.
        manifestsTrusted: !settling && (read.loaded.status === 'ok' || read.loaded.status === 'invalid'),
        hooks: {
          // Between plan and execution: every decision is reported before it is acted on.
          onPrepared: (prepared) => { this.#reportPlan(prepared, report); },
          onStepStart: (step) => { report({ kind: 'step-start', step }); },
          onLadderStep: (guest, step) => { report({ kind: 'ladder-step', guest, step }); },
          onStepEnd: (step) => {
            this.#noteStep(step);
            report({ kind: 'step-end', step });
          },
        },
      });
      this.#recordPass(pass, stopRequested);
      this.#unreachable = undefined;
      changes = pass.plan.changes.length;
      holds = pass.plan.holds.length;
      result = pass.execution.ok ? 'ok' : 'failed';
      return { requeueAt: earliest(earliest(pass.plan.requeueAt, this.#lostMonitors.size > 0 ? this.#o.now() + UNWATCHED_POLL_MS : undefined), settleAt) };
    } catch (error) {
      if (error instanceof HostUnreachableError) {
        // The guests are not gone: they are out of sight. Nothing is started or stopped until the host answers.
        result = 'unreachable';
        report({ kind: 'unreachable', error, first: this.#unreachable === undefined, triggers });
        this.#unreachable = error.message;
        return { requeueAt: this.#o.now() + ERROR_RETRY_MS };
      }
      failure = error instanceof Error ? error.message : String(error);
      report({ kind: 'failed', error, triggers });
      return { requeueAt: this.#o.now() + ERROR_RETRY_MS };
    } finally {
      revision ??= await readingRevision;
      // Reported with the pass, so `status` says the same in `manifests` and in `lastPass`.
      this.#workingTreeDiffers = revision?.dirty;
      const endedAt = this.#o.now();
      this.#lastPass = { id, startedAt, endedAt, result, revision, fingerprint: this.#lastLoad?.fingerprint, changes };
      this.#passError = failure;
      report({ kind: 'done', summary: this.#lastPass, triggers, holds });
    }
  }

  // A git checkout: the commit HEAD names, loaded from a private copy of it. A plain directory: the
  // files as they are, and whether they have settled. Never throws: what cannot be read is a load
  // with status `unreadable` (the last good desired state is kept).
  async #readManifests(): Promise<ManifestRead> {
    const dir = this.#o.manifestDir;
    const look = this.#o.gitRevision === false ? { kind: 'none' as const } : await this.#checkout.look(dir);
    if (look.kind === 'error') return { loaded: unreadable(dir, look.message), source: 'git' };
    if (look.kind === 'checkout') {
      try {
        const copy = await this.#copies.of(look.toplevel, look.commit);
        return { loaded: await loadManifests({ dir, parseCache: this.#parseCache, copy }), source: 'git', head: look.commit };
      } catch (error) {
        return { loaded: unreadable(dir, `cannot read commit ${look.commit.slice(0, 12)} of the git checkout: ${error instanceof Error ? error.message : String(error)}`), source: 'git', head: look.commit };
      }
    }
    const readAt = this.#o.now();
    const loaded = await loadManifests({ dir, parseCache: this.#parseCache });
    if (loaded.status !== 'ok' && loaded.status !== 'invalid') return { loaded, source: 'directory' };
    // The window is the debounce of the state being loaded (else of the one in use).
    const windowMs = (loaded.desired?.host ?? this.#lastGood?.host ?? HOST_DEFAULTS).reconcile.debounceMs;
    const settle = await this.#settle.check(loaded.sources, { windowMs, now: this.#o.now(), readAt });
    return { loaded, source: 'directory', settle: { ...settle, windowMs } };
  }

  async #readRevision(): Promise<GitRevision | undefined> {
    const applied = this.#applied;
    if (this.#source !== 'git' || applied === undefined) return undefined;
    return { commit: applied.commit, dirty: await workingTreeDiffers(this.#o.manifestDir, applied.commit) };
  }

  // Invalid, empty, unreadable or unsettled manifests keep the last good state; each new problem is
  // reported once.
  #acceptManifests(read: ManifestRead, report: (entry: PassEntry) => void, now: number): void {
    const { loaded } = read;
    if (read.source !== this.#source) this.#applied = undefined;
    this.#source = read.source;
    this.#head = read.head;
    const unsettled = (read.settle?.unsettled ?? []).map((p) => relative(this.#o.manifestDir, p) || '.');
    this.#unsettled = unsettled;
    if (unsettled.length > 0) {
      // Not read yet, as far as the daemon is concerned: no error is reported for a half-written file.
      const key = `${loaded.fingerprint}:${unsettled.join(',')}`;
      if (key !== this.#reportedUnsettled) report({ kind: 'manifests-unsettled', unsettled, settledAt: read.settle?.settledAt, windowMs: read.settle?.windowMs ?? 0, hasLastGood: this.#lastGood !== undefined });
      this.#reportedUnsettled = key;
      return;
    }
    this.#reportedUnsettled = undefined;
    this.#lastLoad = loaded;
    const fresh = loaded.fingerprint !== this.#reportedFingerprint || (read.head !== undefined && read.head !== this.#reportedHead);
    this.#reportedFingerprint = loaded.fingerprint;
    this.#reportedHead = read.head;
    const ok = loaded.status === 'ok' && loaded.desired !== undefined;
    report({
      kind: 'manifests',
      status: ok ? 'ok' : loaded.status === 'ok' ? 'invalid' : loaded.status,
      fresh,
      fingerprint: loaded.fingerprint,
      guests: loaded.desired?.guests.length ?? 0,
      errors: loaded.diagnostics.filter((d) => d.severity === 'error'),
      commit: read.head,
      hasLastGood: this.#lastGood !== undefined,
    });
    if (ok) {
      this.#lastGood = loaded.desired;
      if (read.head !== undefined && this.#applied?.commit !== read.head) this.#applied = { commit: read.head, at: now };
    }
  }

  // What a step did, for the status view: a guest's last failed or stuck step is its error.
  #noteStep(step: StepResult): void {
    const stuck = step.stop?.result === 'stuck';
    if (step.status === 'done' && !stuck) this.#errors.delete(step.guest);
    else this.#errors.set(step.guest, { stuck, detail: step.detail });
    this.#decided(step.guest, `action\0${step.kind}`);
  }

  // Before any step: the pass's housekeeping, the exits it folded, lost monitors, then each change and hold.
  #reportPlan(pass: PreparedPass, report: (entry: PassEntry) => void): void {
    for (const r of pass.consoleLogs.rotated) report({ kind: 'console-log-rotated', guest: r.name, bytes: r.bytes });
    if (pass.consoleLogs.error !== undefined) report({ kind: 'console-logs-not-rotated', error: pass.consoleLogs.error });
    if (pass.compaction.error !== undefined) report({ kind: 'compaction-failed', error: pass.compaction.error });
    const specs = new Map((this.#lastGood?.guests ?? []).map((s) => [s.name, s]));
    for (const exit of pass.observation.exits) {
      const spec = specs.get(exit.name);
      const meaning = spec === undefined ? 'requested' : classifyExit(exit, spec);
      const history = pass.histories.get(exit.name);
      const gaveUp = history?.failed === true && (meaning === 'failure' || meaning === 'start-failure' || meaning === 'config-error');
      report({ kind: 'exit', exit, meaning, gaveUpAfter: gaveUp ? history.failures.length : undefined });
      this.#decided(exit.name, 'exit');
    }
    this.#reportLostMonitors(pass.observation.guests, report);
    for (const change of pass.plan.changes) {
      report({ kind: 'change', change });
      this.#decided(change.guest, 'plan');
    }
    for (const hold of pass.plan.holds) {
      const repeated = this.#decided(hold.guest, `hold\0${hold.reason}\0${hold.detail}`);
      report({ kind: 'hold', hold, repeated });
    }
  }

  /** Notes the guest's latest decision; true when it is the same as the one before. */
  #decided(guest: string, key: string): boolean {
    const same = this.#lastDecision.get(guest) === key;
    this.#lastDecision.set(guest, key);
    return same;
  }

  // The status view: what the pass observed, updated with what its steps did.
  #recordPass(pass: PassResult, stopRequested: ReadonlySet<number>): void {
    const running = new Map(pass.observation.guests.map((g) => [g.name, stopRequested.has(g.pid) ? { ...g, stopping: true } : g]));
    for (const step of pass.execution.steps) {
      if (step.kind === 'stop' && step.status === 'done') running.delete(step.guest);
      if (step.kind === 'start' && step.started !== undefined) running.set(step.guest, { ...step.started, ready: step.status === 'done' });
    }
    for (const [name, guest] of running) if (guest.ready && !this.#errors.get(name)?.stuck) this.#errors.delete(name);
    this.#running = running;
    this.#unmanaged = pass.observation.unmanaged;
    this.#histories = pass.histories;
    this.#plan = pass.plan;
  }

  // Reported once per qvm process.
  #reportLostMonitors(guests: readonly ObservedGuest[], report: (entry: PassEntry) => void): void {
    const lost = new Set(guests.filter((g) => g.monitorLost === true).map((g) => g.pid));
    for (const g of guests) {
      if (g.monitorLost !== true || this.#lostMonitors.has(g.pid)) continue;
      report({ kind: 'monitor-lost', guest: g.name, pid: g.pid });
      this.#decided(g.name, 'monitor');
    }
    this.#lostMonitors = lost;
  }

  #guestStatuses(now: number): GuestStatus[] {
    if (this.#lastGood === undefined || this.#plan === undefined) return [];
    return describeGuests({ desired: this.#lastGood, plan: this.#plan, running: this.#running, histories: this.#histories, errors: this.#errors }, now);
  }

  status(): DaemonStatus {
    const load = this.#lastLoad;
    const git = this.#source === 'git';
    return {
      pid: process.pid,
      stateDir: this.#o.stateDir,
      manifestDir: this.#o.manifestDir,
      manifests: {
        status: load?.status ?? 'none',
        errors: load?.diagnostics.filter((d) => d.severity === 'error').length ?? 0,
        usingLastGood: this.#lastGood !== undefined && ((load !== undefined && load.status !== 'ok') || this.#unsettled.length > 0),
        source: this.#source,
        ...(git && this.#head !== undefined ? { head: this.#head } : {}),
        ...(git && this.#applied !== undefined ? { commit: this.#applied.commit, appliedAt: this.#applied.at } : {}),
        ...(git && this.#workingTreeDiffers !== undefined ? { workingTreeDiffers: this.#workingTreeDiffers } : {}),
        ...(git ? {} : { unsettled: this.#unsettled }),
      },
      host: { where: this.#o.host.where, reachable: this.#unreachable === undefined, ...(this.#unreachable === undefined ? {} : { error: this.#unreachable }) },
      fenced: this.#fenced,
      lastPass: this.#lastPass,
      passes: this.#passes,
      guests: this.#guestStatuses(this.#o.now()),
      unmanaged: this.#unmanaged,
    };
  }
}

/** A load that read nothing: the last good desired state is kept, nothing pruned. */
function unreadable(dir: string, message: string): LoadResult {
  return { status: 'unreadable', desired: undefined, diagnostics: [{ severity: 'error', code: 'git', file: dir, message }], fingerprint: message, files: [], hostFile: undefined, sources: [dir] };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
