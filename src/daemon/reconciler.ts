// One daemon pass: re-read the manifests (keeping the last good desired state when they are
// broken or not settled), run the shared reconcile pass, and turn what happened into logs, events,
// decisions, metrics and the status view. Stateful across passes, so it is a class.
//
// Settled input only (docs/daemon.md, "Settled input"): in a git checkout the desired state is the
// commit HEAD names, read from git, never the working tree; in a plain directory a load is used only
// once every file it read has been unchanged for the debounce window.

import { relative } from 'node:path';
import type { Logger } from 'pino';
import { HOST_DEFAULTS } from '../manifest/defaults.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { createParseCache } from '../manifest/parse-cache.js';
import { createSettleTracker, type SettleCheck } from '../manifest/settled.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { DesiredState } from '../model/host-spec.js';
import type { ExitRecord, GuestHistory, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { runPass, type PassResult, type PreparedPass } from '../executor/reconcile-pass.js';
import type { StepResult } from '../executor/execute-plan.js';
import { classifyExit } from '../planner/exit-policy.js';
import type { HostPort } from '../runtime/port.js';
import { HostUnreachableError } from '../runtime/ssh/errors.js';
import type { EventLog } from './event-log.js';
import { CheckoutLooker, CommitCopies, workingTreeDiffers, type GitRevision } from './git-revision.js';
import { describeGuests } from '../render/guest-status.js';
import { describeUnrecorded, MONITOR_LOST } from '../render/exit-meaning.js';
import type { DaemonStatus, GuestStatus, PassSummary } from './guest-status.js';
import type { DaemonMetrics } from './metrics.js';
import type { PassOutcome, Trigger } from './pass-loop.js';

export interface ReconcilerOptions {
  readonly manifestDir: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly events: EventLog;
  readonly metrics: DaemonMetrics;
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
    const log = this.#o.logger.child({ pass: id });
    const startedAt = this.#o.now();
    let revision: GitRevision | undefined;
    let result: PassSummary['result'] = 'error';
    let changes = 0;
    let failure: string | undefined;
    // Only reported: whether the working tree differs from the applied commit is asked of git beside
    // the pass and awaited when the pass is summed up, so a restart after a guest exit does not wait for it.
    let readingRevision: Promise<GitRevision | undefined> = Promise.resolve(undefined);
    try {
      const read = await this.#readManifests();
      this.#acceptManifests(read, log, startedAt);
      const settling = (read.settle?.unsettled.length ?? 0) > 0;
      readingRevision = this.#readRevision();
      const desired = this.#lastGood;
      this.#fenced = (await this.#o.host.state.readFence()) !== undefined;
      const settleAt = read.settle?.settledAt;
      if (desired === undefined) {
        result = 'skipped';
        revision = await readingRevision;
        log.warn({ triggers, revision }, 'no valid manifests yet: nothing to reconcile');
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
        // Between plan and execution: every decision is logged before it is acted on.
        choosePlan: (prepared) => {
          for (const r of prepared.consoleLogs.rotated) log.info({ guest: r.name, bytes: r.bytes }, 'rotated console log');
          if (prepared.consoleLogs.error !== undefined) log.warn({ err: prepared.consoleLogs.error }, 'console logs not rotated');
          // Nothing is lost when it fails: what was not removed is removed by a later pass.
          if (prepared.compaction.error !== undefined) log.warn({ err: prepared.compaction.error }, 'state directory not compacted; a later pass tries again');
          this.#recordPlan(prepared, id, log);
          return prepared.plan;
        },
        hooks: this.#o.metrics.timeLadders({
          onStepStart: (step) => { log.child({ guest: step.guest }).debug({ step: step.kind }, `${step.kind} begins`); },
          onLadderStep: (guest, step) => { log.child({ guest }).info({ ladder: step }, `stop ladder: ${step}`); },
          onStepEnd: (step) => { this.#recordStep(step, id, log); },
        }),
      });
      this.#recordPass(pass, stopRequested);
      this.#unreachable = undefined;
      changes = pass.plan.changes.length;
      result = pass.execution.ok ? 'ok' : 'failed';
      revision = await readingRevision;
      log.info({ triggers, revision, fingerprint: this.#lastLoad?.fingerprint, changes, holds: pass.plan.holds.length, result, durationMs: this.#o.now() - startedAt }, 'pass done');
      return { requeueAt: earliest(earliest(pass.plan.requeueAt, this.#lostMonitors.size > 0 ? this.#o.now() + UNWATCHED_POLL_MS : undefined), settleAt) };
    } catch (error) {
      if (error instanceof HostUnreachableError) {
        // The guests are not gone: they are out of sight. Nothing is started or stopped until the host answers.
        result = 'unreachable';
        if (this.#unreachable === undefined) this.#o.events.record({ time: this.#o.now(), guest: undefined, type: 'Warning', reason: 'HostUnreachable', message: error.message });
        this.#unreachable = error.message;
        log.warn({ triggers, where: error.where, kind: error.kind }, error.message);
        return { requeueAt: this.#o.now() + ERROR_RETRY_MS };
      }
      log.error({ err: error, triggers }, 'pass failed');
      failure = error instanceof Error ? error.message : String(error);
      this.#o.events.record({ time: this.#o.now(), guest: undefined, type: 'Warning', reason: 'PassFailed', message: failure });
      return { requeueAt: this.#o.now() + ERROR_RETRY_MS };
    } finally {
      revision ??= await readingRevision;
      // Reported with the pass, so `status` says the same in `manifests` and in `lastPass`.
      this.#workingTreeDiffers = revision?.dirty;
      const endedAt = this.#o.now();
      this.#lastPass = { id, startedAt, endedAt, result, revision, fingerprint: this.#lastLoad?.fingerprint, changes };
      this.#passError = failure;
      this.#o.metrics.observePass(this.#lastPass, this.status());
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
  #acceptManifests(read: ManifestRead, log: Logger, now: number): void {
    const { loaded } = read;
    if (read.source !== this.#source) this.#applied = undefined;
    this.#source = read.source;
    this.#head = read.head;
    const unsettled = (read.settle?.unsettled ?? []).map((p) => relative(this.#o.manifestDir, p) || '.');
    this.#unsettled = unsettled;
    if (unsettled.length > 0) {
      // Not read yet, as far as the daemon is concerned: no error is reported for a half-written file.
      const key = `${loaded.fingerprint}:${unsettled.join(',')}`;
      if (key !== this.#reportedUnsettled) {
        const keeping = this.#lastGood === undefined ? 'nothing is started until then' : 'keeping the last good desired state';
        log.info({ unsettled, settledAt: read.settle?.settledAt }, `manifests changed less than ${read.settle?.windowMs ?? 0} ms ago: waiting for them to settle (${unsettled.join(', ')}); ${keeping}`);
      }
      this.#reportedUnsettled = key;
      return;
    }
    this.#reportedUnsettled = undefined;
    this.#lastLoad = loaded;
    const fresh = loaded.fingerprint !== this.#reportedFingerprint || (read.head !== undefined && read.head !== this.#reportedHead);
    this.#reportedFingerprint = loaded.fingerprint;
    this.#reportedHead = read.head;
    const at = read.head === undefined ? '' : ` at commit ${read.head.slice(0, 12)}`;
    this.#o.metrics.manifestValid.set(loaded.status === 'ok' ? 1 : 0);
    if (loaded.status === 'ok' && loaded.desired !== undefined) {
      if (fresh) {
        log.info({ fingerprint: loaded.fingerprint, guests: loaded.desired.guests.length, commit: read.head }, `manifests loaded${at}`);
        this.#o.events.record({ time: now, guest: undefined, type: 'Normal', reason: 'ManifestsLoaded', message: `${loaded.desired.guests.length} guests${at}` });
      }
      this.#lastGood = loaded.desired;
      if (read.head !== undefined && this.#applied?.commit !== read.head) this.#applied = { commit: read.head, at: now };
      return;
    }
    if (!fresh) return;
    this.#o.metrics.manifestErrors.inc();
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const keeping = this.#lastGood === undefined ? 'no last good state: nothing will be started' : 'keeping the last good desired state';
    const first = errors[0] === undefined ? loaded.status : formatDiagnostic(errors[0]);
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
    log.warn({ status: loaded.status, diagnostics: errors.map(formatDiagnostic), commit: read.head }, `manifests ${loaded.status}${at}: ${keeping}`);
    this.#o.events.record({ time: now, guest: undefined, type: 'Warning', reason: 'ManifestInvalid', message: `${first}${more}${at}; ${keeping}` });
  }

  #recordStep(step: StepResult, pass: number, log: Logger): void {
    const now = this.#o.now();
    const glog = log.child({ guest: step.guest });
    const stuck = step.stop?.result === 'stuck';
    const outcome = stuck ? 'stuck' : step.status;
    (step.kind === 'start' ? this.#o.metrics.starts : this.#o.metrics.stops).inc({ outcome });
    this.#o.events.decide(step.guest, { time: now, pass, kind: 'action', what: `${step.kind} ${outcome}`, detail: step.detail });
    const reason = step.kind === 'start'
      ? (step.status === 'done' ? 'Started' : step.status === 'skipped' ? 'StartSkipped' : 'StartFailed')
      : (stuck ? 'Stuck' : step.status === 'done' ? 'Stopped' : step.status === 'skipped' ? 'StopSkipped' : 'StopFailed');
    const ok = step.status === 'done' && !stuck;
    this.#o.events.record({ time: now, guest: step.guest, type: ok ? 'Normal' : 'Warning', reason, message: step.detail });
    if (ok) {
      glog.info({ step: step.kind, elapsedMs: step.elapsedMs }, `${step.kind}: ${step.detail}`);
      this.#errors.delete(step.guest);
    } else {
      glog.warn({ step: step.kind, status: step.status, elapsedMs: step.elapsedMs }, `${step.kind} ${outcome}: ${step.detail}`);
      this.#errors.set(step.guest, { stuck, detail: step.detail });
    }
  }

  #recordPlan(pass: PreparedPass, id: number, log: Logger): void {
    const now = this.#o.now();
    const specs = new Map((this.#lastGood?.guests ?? []).map((s) => [s.name, s]));
    for (const exit of pass.observation.exits) this.#recordExit(exit, pass.histories.get(exit.name), specs.has(exit.name) ? classifyExit(exit, specs.get(exit.name)) : 'requested', id, log);
    this.#recordLostMonitors(pass.observation.guests, id, log);
    for (const change of pass.plan.changes) {
      log.child({ guest: change.guest }).info({ action: change.action, reason: change.reason, after: change.after }, `${change.action} (${change.reason}): ${change.detail}`);
      this.#o.events.decide(change.guest, { time: now, pass: id, kind: 'plan', what: `${change.action} (${change.reason})`, detail: change.detail });
    }
    for (const hold of pass.plan.holds) {
      const decision = { time: now, pass: id, kind: 'hold' as const, what: hold.reason, detail: hold.detail };
      const before = this.#o.events.decisions(hold.guest).at(-1);
      this.#o.events.decide(hold.guest, decision);
      if (before?.kind === 'hold' && before.what === hold.reason && before.detail === hold.detail) continue;
      log.child({ guest: hold.guest }).info({ hold: hold.reason, until: hold.until }, `hold (${hold.reason}): ${hold.detail}`);
      const warn = hold.reason === 'failed' || hold.reason === 'backoff' || hold.reason === 'config-error' || hold.reason === 'prune-guard' || hold.reason === 'system-in-use';
      this.#o.events.record({ time: now, guest: hold.guest, type: warn ? 'Warning' : 'Normal', reason: holdEventReason(hold.reason), message: hold.detail });
    }
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

  // Reported once per qvm process: a warning, an event and a decision for `why`.
  #recordLostMonitors(guests: readonly ObservedGuest[], pass: number, log: Logger): void {
    const lost = new Set(guests.filter((g) => g.monitorLost === true).map((g) => g.pid));
    for (const g of guests) {
      if (g.monitorLost !== true || this.#lostMonitors.has(g.pid)) continue;
      const message = `qvm (pid ${g.pid}) ${MONITOR_LOST}`;
      log.child({ guest: g.name }).warn({ qvmPid: g.pid }, message);
      this.#o.events.record({ time: this.#o.now(), guest: g.name, type: 'Warning', reason: 'MonitorLost', message });
      this.#o.events.decide(g.name, { time: this.#o.now(), pass, kind: 'monitor', what: 'monitor lost', detail: message });
    }
    this.#lostMonitors = lost;
  }

  #recordExit(exit: ExitRecord, history: GuestHistory | undefined, meaning: string, pass: number, log: Logger): void {
    const now = this.#o.now();
    const code = exit.unrecorded !== undefined ? 'unrecorded' : exit.code === null ? (exit.signal ?? 'signal') : String(exit.code);
    this.#o.metrics.exits.inc({ code });
    const how = exit.unrecorded !== undefined ? describeUnrecorded(exit.unrecorded) : exit.code === null ? `killed by ${exit.signal ?? 'a signal'}` : `exit code ${exit.code}`;
    const message = `qvm (pid ${exit.pid}) ended: ${how} (${meaning})`;
    const failure = meaning === 'failure' || meaning === 'start-failure' || meaning === 'config-error';
    const glog = log.child({ guest: exit.name });
    const fields = { code: exit.code, signal: exit.signal, meaning, requested: exit.requested, unrecorded: exit.unrecorded };
    // A lost monitor is worth a warning; an exit that ended with the host is not.
    if (exit.unrecorded === 'monitor-lost') glog.warn(fields, message);
    else glog.info(fields, message);
    this.#o.events.record({ time: now, guest: exit.name, type: failure ? 'Warning' : 'Normal', reason: 'Exited', message });
    this.#o.events.decide(exit.name, { time: now, pass, kind: 'exit', what: meaning, detail: message });
    if (history?.failed === true && failure) {
      const gaveUp = `gave up after ${history.failures.length} failures: stays down until the manifest changes`;
      log.child({ guest: exit.name }).warn(gaveUp);
      this.#o.events.record({ time: now, guest: exit.name, type: 'Warning', reason: 'GaveUp', message: gaveUp });
    }
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

function holdEventReason(reason: string): string {
  switch (reason) {
    case 'backoff': return 'BackOff';
    case 'failed': return 'GaveUp';
    case 'config-error': return 'ConfigError';
    case 'fenced': return 'Fenced';
    default: return `Held${reason.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
  }
}
