// Small builders for planner tests: every default in one place, overrides by name.
import type { GuestSpec, RestartSpec } from '../../src/model/guest-spec.js';
import type { DesiredState, HostSpec } from '../../src/model/host-spec.js';
import type { ExitRecord, GuestHistory, ObservedGuest } from '../../src/model/observed.js';
import type { PlanInput, PlanPolicy } from '../../src/planner/create-plan.js';

export const NOW = Date.UTC(2025, 0, 6, 12, 0); // a Monday, 12:00 UTC

type GuestOverrides = Partial<Omit<GuestSpec, 'restart'>> & { readonly restart?: Partial<RestartSpec> };

export function guest(name: string, overrides: GuestOverrides = {}): GuestSpec {
  const { restart, ...rest } = overrides;
  return {
    name,
    labels: {},
    source: { file: `${name}.yaml`, line: 1 },
    state: 'running',
    system: name,
    qvmconf: `system ${name}\n`,
    extraArgs: [],
    configHash: `hash-${name}-v1`,
    dependsOn: [],
    readiness: { kind: 'none' },
    shutdown: { guestCommand: undefined, guestTimeoutMs: 10_000, powerButtonTimeoutMs: 20_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 5_000 },
    update: 'restart',
    passthrough: [],
    ...rest,
    restart: {
      onGuestExit: 'restart',
      onFailure: 'restart',
      backoff: { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 300_000 },
      maxFailures: { count: 5, windowMs: 600_000 },
      exitCodes: {},
      startLimit: { burst: 5, intervalMs: 60_000 },
      ...restart,
    },
  };
}

export function host(overrides: Partial<HostSpec> = {}): HostSpec {
  return {
    qvm: { kind: 'simulator' },
    connection: { kind: 'local' },
    stateDir: '/var/lib/qvmctl',
    concurrency: 4,
    reconcile: { intervalMs: 30_000, debounceMs: 500 },
    prune: { enabled: false, graceMs: 60_000, maxFraction: 0.5 },
    maintenanceWindows: [],
    shutdown: { command: ['shutdown', '-b'], rebootCommand: ['shutdown', '-S', 'reboot'], deadlineMs: 120_000, unmanaged: 'leave' },
    commands: { allow: [] },
    ...overrides,
  };
}

export function desired(guests: readonly GuestSpec[], hostOverrides: Partial<HostSpec> = {}): DesiredState {
  return { guests, host: host(hostOverrides) };
}

// A running guest; its config hash matches `guest(name)` unless given.
export function running(name: string, overrides: Partial<ObservedGuest> = {}): ObservedGuest {
  return { name, pid: 1000 + name.length, processStart: '1', configHash: `hash-${name}-v1`, startedAt: NOW - 3_600_000, ready: true, stopping: false, ...overrides };
}

export function exit(name: string, overrides: Partial<ExitRecord> = {}): ExitRecord {
  return { name, pid: 4242, code: 0, signal: null, at: NOW - 1_000, startedAt: NOW - 2_000, requested: false, ...overrides };
}

export function history(name: string, overrides: Partial<GuestHistory> = {}): GuestHistory {
  return { name, failures: [], lastExit: undefined, failed: false, failedConfigHash: undefined, restarts: 0, ...overrides };
}

export function planInput(overrides: Partial<Omit<PlanInput, 'policy'>> & { readonly policy?: Partial<PlanPolicy> } = {}): PlanInput {
  const { policy, ...rest } = overrides;
  return {
    desired: desired([]),
    running: [],
    histories: new Map(),
    orphans: new Map(),
    ...rest,
    policy: { now: NOW, explicit: false, fenced: false, manifestsTrusted: true, ...policy },
  };
}
