// Every default of the manifest format, in one place: written as a manifest would write it
// (GUEST_SPEC_DEFAULTS, HOST_SPEC_DEFAULTS), and normalized from that (GUEST_DEFAULTS,
// HOST_DEFAULTS). test/manifest/defaults.test.ts checks that the schemas' `default`s and the table
// of docs/manifests.md ("Defaults") say the same.

import { DEFAULT_CONSOLE_LOG, DEFAULT_RUN_HISTORY, type HostSpec } from '../model/host-spec.js';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import type { GuestInput, HostInput } from './manifest-types.js';

type Written<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: Written<NonNullable<T[K]>> } : T;

/** Guest `spec` defaults, as written in a manifest. */
export const GUEST_SPEC_DEFAULTS = {
  state: 'running',
  update: 'restart',
  readiness: { interval: '1s' },
  shutdown: { guestTimeout: '30s', powerButtonTimeout: '30s', allowPowerCut: false, powerCutTimeout: '5s' },
  restart: {
    onGuestExit: 'restart',
    onFailure: 'restart',
    backoff: { initial: '1s', max: '5m', resetAfter: '10m' },
    maxFailures: { count: 5, window: '10m' },
    startLimit: { burst: 5, interval: '1m' },
  },
} as const satisfies Written<GuestInput['spec']>;

/** Host `spec` defaults, as written in a manifest. */
export const HOST_SPEC_DEFAULTS = {
  qvm: { path: 'qvm' },
  connection: { ssh: { connectTimeout: '10s' } },
  stateDir: '/var/lib/qvmctl',
  concurrency: 4,
  reconcile: { interval: '30s', debounce: '300ms' },
  prune: { enabled: false, grace: '5m', maxFraction: 0.5 },
  maintenanceWindows: [],
  shutdown: { command: ['shutdown', '-b'], rebootCommand: ['shutdown', '-S', 'reboot'], deadline: '120s', unmanaged: 'refuse' },
  consoleLog: { maxSize: '10M', keep: 3 },
  history: { keep: 3 },
  commands: { allow: [] },
  configRoots: [],
} as const satisfies Written<NonNullable<HostInput['spec']>>;

function ms(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`default duration ${text} does not parse`);
  return value;
}

function bytes(text: string): number {
  const value = parseByteSize(text);
  if (value === undefined) throw new Error(`default size ${text} does not parse`);
  return value;
}

const G = GUEST_SPEC_DEFAULTS;
const H = HOST_SPEC_DEFAULTS;

export const GUEST_DEFAULTS = {
  state: G.state,
  update: G.update,
  readinessIntervalMs: ms(G.readiness.interval),
  shutdown: { guestTimeoutMs: ms(G.shutdown.guestTimeout), powerButtonTimeoutMs: ms(G.shutdown.powerButtonTimeout), allowPowerCut: G.shutdown.allowPowerCut, powerCutTimeoutMs: ms(G.shutdown.powerCutTimeout) },
  restart: {
    onGuestExit: G.restart.onGuestExit,
    onFailure: G.restart.onFailure,
    backoff: { initialMs: ms(G.restart.backoff.initial), maxMs: ms(G.restart.backoff.max), resetAfterMs: ms(G.restart.backoff.resetAfter) },
    maxFailures: { count: G.restart.maxFailures.count, windowMs: ms(G.restart.maxFailures.window) },
    startLimit: { burst: G.restart.startLimit.burst, intervalMs: ms(G.restart.startLimit.interval) },
  },
} as const;

/**
 * Console logs: rotated at 10 MiB, three rotated ones kept (docs/runtime.md, "Console logs").
 * The runtime's own copy, DEFAULT_CONSOLE_LOG of model/host-spec.ts, is checked to be the same.
 */
export const HOST_CONSOLE_LOG = { maxSizeBytes: bytes(H.consoleLog.maxSize), keep: H.consoleLog.keep };

/** Exit records: the last three ended runs of each guest (docs/runtime.md, "Compaction"); as DEFAULT_RUN_HISTORY. */
export const HOST_RUN_HISTORY = { keep: H.history.keep };

/** SSH connect timeout when the manifest sets none. */
export const DEFAULT_SSH_CONNECT_TIMEOUT_MS = ms(H.connection.ssh.connectTimeout);

/** The runtime's defaults (model/), which cannot import this module. */
export const MODEL_DEFAULTS = { consoleLog: DEFAULT_CONSOLE_LOG, history: DEFAULT_RUN_HISTORY } as const;

export const HOST_DEFAULTS: HostSpec = {
  qvm: { kind: 'path', path: H.qvm.path },
  connection: { kind: 'local' },
  stateDir: H.stateDir,
  concurrency: H.concurrency,
  reconcile: { intervalMs: ms(H.reconcile.interval), debounceMs: ms(H.reconcile.debounce) },
  prune: { enabled: H.prune.enabled, graceMs: ms(H.prune.grace), maxFraction: H.prune.maxFraction },
  maintenanceWindows: H.maintenanceWindows,
  shutdown: { command: H.shutdown.command, rebootCommand: H.shutdown.rebootCommand, deadlineMs: ms(H.shutdown.deadline), unmanaged: H.shutdown.unmanaged },
  consoleLog: HOST_CONSOLE_LOG,
  history: HOST_RUN_HISTORY,
  commands: { allow: H.commands.allow },
  configRoots: H.configRoots,
};
