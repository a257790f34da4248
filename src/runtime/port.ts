// The runtime port: everything qvmctl does to processes on the host goes through this interface.
// Adapters: the host adapter (real qvm, or the bundled simulator through the same code path).

import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { ExitRecord, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';

/** The steps of the stop ladder, in order. SIGKILL is not one of them and never will be. */
export type StopStep = 'guest-command' | 'power-button' | 'power-cut';

export type StopOutcome =
  | { readonly result: 'stopped'; readonly step: StopStep | 'already-gone'; readonly exit: ExitRecord | undefined; readonly elapsedMs: number }
  /** Every allowed step timed out: the guest still runs and the operator must act. */
  | { readonly result: 'stuck'; readonly lastStep: StopStep; readonly elapsedMs: number };

export interface StopHooks {
  onStep?(step: StopStep): void;
  /** The qvm process is gone (before its exit record is read): what waited for it may go on. */
  onGone?(): void;
}

export interface ObserveOptions {
  /** @default true */
  readonly claimExits?: boolean;
}

export interface RuntimePort {
  /**
   * Running guests (identity verified), unmanaged qvm processes, and exits since the last call.
   * With `claimExits: false` exits stay where the monitors wrote them for a later observation (and
   * `exits` is empty): a look at what runs that costs no writes.
   */
  observe(options?: ObserveOptions): Promise<Observation>;
  /** Start qvm for a guest under its monitor, detached. Refuses if the guest already runs. */
  start(spec: GuestSpec): Promise<ObservedGuest>;
  /** Resolves true once the guest's readiness check passes, false on timeout or if it ends. */
  waitReady(spec: GuestSpec, guest: ObservedGuest, signal?: AbortSignal): Promise<boolean>;
  /** Run the stop ladder for a verified guest process. */
  stop(name: string, shutdown: ShutdownSpec, guest: ObservedGuest, hooks?: StopHooks): Promise<StopOutcome>;
  /** Stop ladder for an unmanaged qvm (power button, then power cut only if allowed). */
  stopUnmanaged(process: UnmanagedProcess, shutdown: ShutdownSpec, hooks?: StopHooks): Promise<StopOutcome>;
}
