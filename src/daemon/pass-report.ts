// What one daemon pass did, as data (docs/architecture.md, "One pass, three callers"). The
// reconciler decides and reports; it neither logs nor counts. Each entry goes to every sink the
// moment it happens (a decision before it is acted on), and the sinks turn entries into log lines,
// events and `why` decisions, and metrics (`pass-sinks.ts`). The status view is the reconciler's
// own state.

import type { StepRef, StepResult } from '../executor/execute-plan.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ExitRecord } from '../model/observed.js';
import type { Change, Hold } from '../model/plan.js';
import type { LoadResult } from '../manifest/load.js';
import type { StopStep } from '../runtime/port.js';
import type { HostUnreachableError } from '../runtime/ssh/errors.js';
import type { GitRevision } from './git-revision.js';
import type { PassSummary } from './guest-status.js';
import type { Trigger } from './pass-loop.js';

export type PassEntry =
  /** Files read that have not been unchanged for the debounce window: the load is not used yet. */
  | { readonly kind: 'manifests-unsettled'; readonly unsettled: readonly string[]; readonly settledAt: number | undefined; readonly windowMs: number; readonly hasLastGood: boolean }
  /**
   * The manifests as read and settled. `fresh`: a fingerprint or commit this daemon has not reported
   * yet (sinks report a load once, whatever the number of passes that read it).
   */
  | {
    readonly kind: 'manifests';
    readonly status: LoadResult['status'];
    readonly fresh: boolean;
    readonly fingerprint: string;
    readonly guests: number;
    readonly errors: readonly Diagnostic[];
    /** git: the commit HEAD named. */
    readonly commit: string | undefined;
    /** Before this load: whether a last good desired state is kept when this one is not used. */
    readonly hasLastGood: boolean;
  }
  /** No valid desired state was ever loaded: nothing was observed or planned. */
  | { readonly kind: 'nothing-to-reconcile'; readonly triggers: readonly Trigger[]; readonly revision: GitRevision | undefined }
  | { readonly kind: 'console-log-rotated'; readonly guest: string; readonly bytes: number }
  | { readonly kind: 'console-logs-not-rotated'; readonly error: unknown }
  | { readonly kind: 'compaction-failed'; readonly error: unknown }
  /** An exit folded by this pass; `gaveUpAfter`: the failures after which the guest stays down. */
  | { readonly kind: 'exit'; readonly exit: ExitRecord; readonly meaning: string; readonly gaveUpAfter: number | undefined }
  /** A qvm whose monitor is gone, once per qvm process. */
  | { readonly kind: 'monitor-lost'; readonly guest: string; readonly pid: number }
  | { readonly kind: 'change'; readonly change: Change }
  /** `repeated`: the guest's last decision was this same hold (seen again on a later pass). */
  | { readonly kind: 'hold'; readonly hold: Hold; readonly repeated: boolean }
  | { readonly kind: 'step-start'; readonly step: StepRef }
  | { readonly kind: 'ladder-step'; readonly guest: string; readonly step: StopStep }
  | { readonly kind: 'step-end'; readonly step: StepResult }
  /** `first`: the host answered the pass before this one. */
  | { readonly kind: 'unreachable'; readonly error: HostUnreachableError; readonly first: boolean; readonly triggers: readonly Trigger[] }
  | { readonly kind: 'failed'; readonly error: unknown; readonly triggers: readonly Trigger[] }
  /** Always the last entry of a pass. `holds`: set when the pass planned (its result is ok or failed). */
  | { readonly kind: 'done'; readonly summary: PassSummary; readonly triggers: readonly Trigger[]; readonly holds: number | undefined };

/** Consumes a pass's entries as they happen; `pass` is the pass's id. Never throws. */
export type PassSink = (pass: number, entry: PassEntry) => void;

/** One sink that hands each entry to every one of `sinks`, in order. */
export function fanOut(...sinks: readonly PassSink[]): PassSink {
  return (pass, entry) => {
    for (const sink of sinks) sink(pass, entry);
  };
}
