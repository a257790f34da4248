// Removed guests (running, no manifest): stopped only when every safety rail allows it.

import type { HostSpec } from '../model/host-spec.js';
import type { Reason } from '../model/plan.js';

export type PruneDecision =
  | { readonly kind: 'stop'; readonly detail: string }
  | { readonly kind: 'hold'; readonly reason: Reason; readonly detail: string; readonly until: number | undefined };

export interface PruneInput {
  /** Running guests with no manifest, sorted by name. */
  readonly names: readonly string[];
  readonly prune: HostSpec['prune'];
  /** Guest name → epoch ms when its manifest was first seen missing (absent: now). */
  readonly orphans: ReadonlyMap<string, number>;
  readonly now: number;
  readonly manifestsTrusted: boolean;
  /** Running guests qvmctl manages (with or without a manifest): the base of the fraction guard. */
  readonly runningCount: number;
}

// Rails in order: enabled, trusted manifest dir, grace elapsed, and the fraction guard over all
// prunes due now (all or nothing, so one bad commit cannot stop a majority of the host).
// Maintenance windows do not gate prune: grace and the guard already bound it.
export function decidePrunes(input: PruneInput): ReadonlyMap<string, PruneDecision> {
  const decisions = new Map<string, PruneDecision>();
  const due: string[] = [];
  for (const name of input.names) {
    if (!input.prune.enabled) {
      decisions.set(name, { kind: 'hold', reason: 'prune-disabled', detail: 'manifest removed; pruning is disabled, stop it by hand', until: undefined });
    } else if (!input.manifestsTrusted) {
      decisions.set(name, { kind: 'hold', reason: 'prune-guard', detail: 'manifest removed, but the manifest directory is empty or unreadable', until: undefined });
    } else {
      const until = (input.orphans.get(name) ?? input.now) + input.prune.graceMs;
      if (input.now < until) decisions.set(name, { kind: 'hold', reason: 'prune-grace', detail: `manifest removed; grace period ends in ${until - input.now} ms`, until });
      else due.push(name);
    }
  }
  const limit = input.prune.maxFraction * input.runningCount;
  for (const name of due) {
    decisions.set(name, due.length > limit
      ? { kind: 'hold', reason: 'prune-guard', detail: `pruning ${due.length} of ${input.runningCount} running guests exceeds maxFraction ${input.prune.maxFraction}`, until: undefined }
      : { kind: 'stop', detail: 'manifest removed' });
  }
  return decisions;
}
