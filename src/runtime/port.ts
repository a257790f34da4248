// The host port: everything qvmctl does to a hypervisor host goes through this interface — its qvm
// processes and every file of its state directory. Above it nothing knows whether the host is this
// machine or one reached over SSH (docs/architecture.md, docs/remote.md).
// Adapters: `local` (create-host-runtime.ts) and `ssh` (ssh/create-ssh-host.ts).

import type { Fence } from '../model/fence.js';
import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { ConsoleLogLimits } from '../model/host-spec.js';
import type { ExitRecord, GuestHistory, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { HostCommandRunner } from './host-command.js';

/** The steps of the stop ladder, in order. SIGKILL is not one of them and never will be. */
export type StopStep = 'guest-command' | 'power-button' | 'power-cut';

export type StopOutcome =
  | { readonly result: 'stopped'; readonly step: StopStep | 'already-gone'; readonly exit: ExitRecord | undefined; readonly elapsedMs: number }
  /** Every allowed step timed out, or none applied (`none`): the guest still runs and the operator must act. */
  | { readonly result: 'stuck'; readonly lastStep: StopStep | 'none'; readonly elapsedMs: number };

export interface StopHooks {
  onStep?(step: StopStep): void;
  /** The qvm process is gone (before its exit record is read): what waited for it may go on. */
  onGone?(): void;
}

/** A console log rotated by a pass: its guest and how many bytes moved to console.log.1. */
export interface RotatedLog {
  readonly name: string;
  readonly bytes: number;
}

/** A guest's console log as `qvmctl logs` reads it: read-only, nothing is created (docs/runtime.md, "Console logs"). */
export interface ConsoleLogs {
  /** One generation (0: console.log, 1: console.log.1, …), the last `tailLines` lines; undefined when it does not exist. */
  read(name: string, options: { readonly generation: number; readonly tailLines?: number }): Promise<string | undefined>;
  /** The last `tailLines` lines (all when absent), then what the log gains, across rotations, until `signal` aborts. */
  follow(name: string, options: { readonly tailLines?: number; readonly onText: (text: string) => void; readonly signal: AbortSignal }): Promise<void>;
}

/** What a pass asks a compaction to keep (docs/runtime.md, "Compaction"). */
export interface CompactionRequest {
  /** Exit records of ended runs kept per guest in `exits/` (Host `history.keep`). */
  readonly keep: number;
  /** The guests whose exits this pass acknowledged: the ones whose records grew. */
  readonly guests: readonly string[];
  /** The config hash the manifests want for each guest: its config file is never removed. */
  readonly configHashes: ReadonlyMap<string, string>;
}

export interface RuntimePort {
  /**
   * Running guests (identity verified), unmanaged qvm processes, and the exits recorded (or
   * inferred) that have not been acknowledged yet. Writes nothing: a look costs no writes, and an
   * exit is reported again until `acknowledgeExits` is called for it.
   */
  observe(): Promise<Observation>;
  /**
   * Marks exits as folded into the histories: they are not reported again. Idempotent; call it only
   * after the histories that include them are durable (read → fold → persist → acknowledge).
   */
  acknowledgeExits(exits: readonly ExitRecord[]): Promise<void>;
  /** Start qvm for a guest under its monitor, detached. Refuses if the guest already runs. */
  start(spec: GuestSpec): Promise<ObservedGuest>;
  /** Resolves true once the guest's readiness check passes, false on timeout or if it ends. */
  waitReady(spec: GuestSpec, guest: ObservedGuest, signal?: AbortSignal): Promise<boolean>;
  /** Run the stop ladder for a verified guest process. */
  stop(name: string, shutdown: ShutdownSpec, guest: ObservedGuest, hooks?: StopHooks): Promise<StopOutcome>;
  /** Stop ladder for an unmanaged qvm (power button, then power cut only if allowed). */
  stopUnmanaged(process: UnmanagedProcess, shutdown: ShutdownSpec, hooks?: StopHooks): Promise<StopOutcome>;
  /**
   * Rotates the console logs of at least `limits.maxSizeBytes`: of running guests (observed, so the
   * identity's console offset follows) by copy and truncate, of the others by rename. Call it under
   * the pass lock; it writes, so a look never calls it.
   */
  rotateConsoleLogs(request: { readonly running: readonly ObservedGuest[]; readonly stopped: readonly string[]; readonly limits: ConsoleLogLimits }): Promise<readonly RotatedLog[]>;
  /**
   * Removes the run records the guests named no longer need: acknowledged exit records but the
   * `keep` newest (and the identity's), launch records and PID files of runs older than the
   * identity's, config files no run needs. An adapter's first call covers every guest directory,
   * later ones the guests named. Never an exit record that was not acknowledged. Call it under the
   * pass lock, after `acknowledgeExits`; it writes, so a look never calls it.
   */
  compactRuns(request: CompactionRequest): Promise<void>;
}

/** The records of the state directory that are not a guest's run: fence, orphans, histories, the last shutdown. */
export interface HostState {
  readFence(): Promise<Fence | undefined>;
  raiseFence(fence: Fence): Promise<void>;
  liftFence(): Promise<void>;
  /** When each running guest without a manifest was first seen so (the prune grace counts from then). */
  loadOrphans(): Promise<ReadonlyMap<string, number>>;
  saveOrphans(orphans: ReadonlyMap<string, number>): Promise<void>;
  /** The stored restart history of each named guest (an empty one where none was saved). */
  loadHistories(names: readonly string[]): Promise<Map<string, GuestHistory>>;
  saveHistories(histories: readonly GuestHistory[]): Promise<void>;
  /** The last host shutdown's result: written before the host command, as the host may then be gone. */
  writeShutdownRecord(record: unknown): Promise<void>;
  /** The last host shutdown's result as written, undefined when there is none (or it does not parse). */
  readShutdownRecord(): Promise<unknown>;
}

export interface Watcher {
  close(): Promise<void>;
}

export interface LockRelease {
  release(): Promise<void>;
  /**
   * Still held? A lock whose file was deleted is taken again; false when another process holds it
   * now. Adapters whose lock cannot be lost this way (held by a session on the host) omit it.
   */
  renew?(): Promise<boolean>;
}

export interface HostPort extends RuntimePort {
  /** `local`, or `ssh://user@host:port`: for messages and logs. */
  readonly where: string;
  /** The state directory, as a path on the host. */
  readonly stateDir: string;
  readonly state: HostState;
  readonly consoleLogs: ConsoleLogs;
  /** Runs fn while no other pass (this or another qvmctl, on any controller) acts on the host. */
  withPassLock<T>(fn: () => Promise<T>, options?: { readonly timeoutMs?: number }): Promise<T>;
  /** One daemon per host: held for the life of the daemon; LockBusyError when another holds it. */
  lockDaemon(): Promise<LockRelease>;
  /** Calls onChange soon after a monitor records an exit (a trigger only: it carries nothing). */
  watchExits(onChange: () => void, onError: (error: unknown) => void): Watcher;
  /** The host's power-off or reboot command, run on the host. */
  readonly runHostCommand: HostCommandRunner;
  /** Frees what the adapter holds open (connections); guests are not touched. */
  close(): Promise<void>;
}
