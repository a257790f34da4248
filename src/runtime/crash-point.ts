// Named points where a test can make qvmctl die as if the host lost power under it: when
// QVMCTL_CRASH_AT names the point, this process kills ITSELF with SIGKILL (no cleanup, no finally).
// It never signals any other process; qvm and monitors are signalled only by signal.ts, never SIGKILL.

/** Every crash point; the reliability suite crashes at each one and checks what survives. */
export const CRASH_POINTS = [
  'observe:after-history',
  'compact:mid-removal',
  'apply:after-observe',
  'start:after-monitor-spawn',
  'restart:after-stop',
  'stop:after-request-marker',
  'stop:after-power-button',
  'prune:before-stop',
  'shutdown:after-fence',
  'shutdown:after-some-stopped',
  'shutdown:before-host-command',
  // The release phases (docs/fleet.md, "Phases"): each between its work and its record.
  'release:prepare-after-store',
  'release:apply-mid-pass',
  'release:verify-before-record',
  'release:commit-after-record',
  'release:rollback-after-pass',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_ENV = 'QVMCTL_CRASH_AT';

// A no-op unless QVMCTL_CRASH_AT equals `point` (read at each call, so tests can set it per process).
export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_ENV] === point) process.kill(process.pid, 'SIGKILL');
}
