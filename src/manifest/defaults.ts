// Every default of the manifest format, in one place (docs/manifests.md has the same table).

import { DEFAULT_CONSOLE_LOG, DEFAULT_RUN_HISTORY, type HostSpec } from '../model/host-spec.js';

export const GUEST_DEFAULTS = {
  state: 'running',
  update: 'restart',
  readinessIntervalMs: 1_000,
  shutdown: { guestTimeoutMs: 30_000, powerButtonTimeoutMs: 30_000, allowPowerCut: false, powerCutTimeoutMs: 5_000 },
  restart: {
    onGuestExit: 'restart',
    onFailure: 'restart',
    backoff: { initialMs: 1_000, maxMs: 300_000, resetAfterMs: 600_000 },
    maxFailures: { count: 5, windowMs: 600_000 },
    startLimit: { burst: 5, intervalMs: 60_000 },
  },
} as const;

/** Console logs: rotated at 10 MiB, three rotated ones kept (docs/runtime.md, "Console logs"). */
export const HOST_CONSOLE_LOG = DEFAULT_CONSOLE_LOG;

/** Exit records: the last three ended runs of each guest (docs/runtime.md, "Compaction"). */
export const HOST_RUN_HISTORY = DEFAULT_RUN_HISTORY;

export const HOST_DEFAULTS: HostSpec = {
  qvm: { kind: 'path', path: 'qvm' },
  connection: { kind: 'local' },
  stateDir: '/var/lib/qvmctl',
  concurrency: 4,
  reconcile: { intervalMs: 30_000, debounceMs: 300 },
  prune: { enabled: false, graceMs: 300_000, maxFraction: 0.5 },
  maintenanceWindows: [],
  shutdown: { command: ['shutdown', '-b'], rebootCommand: ['shutdown', '-S', 'reboot'], deadlineMs: 120_000, unmanaged: 'refuse' },
  consoleLog: HOST_CONSOLE_LOG,
  history: HOST_RUN_HISTORY,
  commands: { allow: [] },
  configRoots: [],
};
