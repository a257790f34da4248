// When a config change may restart a running guest, per its `update` policy.

import type { GuestSpec } from '../model/guest-spec.js';
import type { MaintenanceWindow } from '../model/host-spec.js';
import type { Reason } from '../model/plan.js';
import { checkMaintenanceWindow } from './maintenance-window.js';

export type UpdateGate =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: Reason; readonly detail: string; readonly until: number | undefined };

export interface UpdateGateInput {
  readonly spec: GuestSpec;
  readonly windows: readonly MaintenanceWindow[];
  readonly now: number;
  readonly explicit: boolean;
}

// `restart`: now; `manual`: only on an operator's apply; `window`: only inside a maintenance
// window, even on an explicit apply (the window is the operator's own promise to the users).
export function checkUpdate({ spec, windows, now, explicit }: UpdateGateInput): UpdateGate {
  switch (spec.update) {
    case 'restart':
      return { allowed: true };
    case 'manual':
      return explicit
        ? { allowed: true }
        : { allowed: false, reason: 'update-manual', detail: 'config changed; update: manual, run `qvmctl apply`', until: undefined };
    case 'window': {
      const state = checkMaintenanceWindow(windows, now);
      if (state.open) return { allowed: true };
      const detail = state.opensAt === undefined
        ? 'config changed; update: window, but no maintenance window is configured'
        : `config changed; waits for the maintenance window at ${new Date(state.opensAt).toISOString()}`;
      return { allowed: false, reason: 'update-window', detail, until: state.opensAt };
    }
  }
}
