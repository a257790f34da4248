// A guest's status row for render tests: running and ready unless told otherwise.
import type { GuestStatus } from '../../src/planner/guest-status.js';

export function statusOf(name: string, overrides: Partial<GuestStatus> = {}): GuestStatus {
  return {
    name, desired: 'running', phase: 'running', pid: 100 + name.length, startedAt: 1_000, uptimeMs: 1_000, ready: true, stopRequested: false,
    monitorLost: false, restarts: 0, failures: 0, lastExit: undefined, holds: [], lastError: undefined, ...overrides,
  };
}
