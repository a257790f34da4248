// The Host document (or its absence) → HostSpec, defaults from defaults.ts (overridable by the caller).

import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { HostConnection, HostSpec, MaintenanceWindow, Weekday } from '../model/host-spec.js';
import { checkHostCommands } from './commands.js';
import { BYTE_SIZE_TEXT, MAX_BYTE_SIZE, MIN_BYTE_SIZE, parseByteSize } from './byte-size.js';
import { DEFAULT_SSH_CONNECT_TIMEOUT_MS, HOST_CONSOLE_LOG, HOST_DEFAULTS, HOST_RUN_HISTORY } from './defaults.js';
import { durationOr } from './duration.js';
import type { HostInput } from './manifest-types.js';
import type { SourceDocument } from './source-document.js';

export function normalizeHost(options: { doc: SourceDocument | undefined; dir: string; hostDefaults?: Partial<HostSpec> }): { host: HostSpec; diagnostics: Diagnostic[] } {
  const d: HostSpec = { ...HOST_DEFAULTS, ...options.hostDefaults };
  const dir = resolve(options.dir);
  const { doc } = options;
  const spec = (doc?.data as HostInput | undefined)?.spec ?? {};
  const diagnostics: Diagnostic[] = [];
  if (doc !== undefined) {
    const entries = [
      ...(spec.commands?.allow ?? []).map((executable, i) => ({ path: ['spec', 'commands', 'allow', i], executable })),
    ];
    diagnostics.push(...checkHostCommands({ doc, entries }));
  }
  const maxSize = spec.consoleLog?.maxSize === undefined ? undefined : parseByteSize(spec.consoleLog.maxSize);
  if (doc !== undefined && maxSize !== undefined && (maxSize < MIN_BYTE_SIZE || maxSize > MAX_BYTE_SIZE)) {
    diagnostics.push({ severity: 'error', code: 'host-console-log', file: doc.file, ...doc.locate(['spec', 'consoleLog', 'maxSize'], 'value'), field: 'spec.consoleLog.maxSize', message: `expected a size ${BYTE_SIZE_TEXT}, got \`${String(spec.consoleLog?.maxSize)}\`` });
  }
  const qvm: HostSpec['qvm'] = spec.qvm?.simulator === true
    ? { kind: 'simulator' }
    : spec.qvm?.path !== undefined ? { kind: 'path', path: spec.qvm.path } : d.qvm;
  const connection = normalizeConnection(spec.connection, dir, d.connection);
  if (doc !== undefined && connection.kind === 'ssh' && spec.qvm?.simulator === true) {
    diagnostics.push({ severity: 'error', code: 'host-qvm', file: doc.file, ...doc.locate(['spec', 'qvm', 'simulator'], 'key'), message: 'the simulator runs guests on this machine only: with an ssh connection, set spec.qvm.path to the qvm of the host (docs/remote.md)' });
  }
  if (doc !== undefined && connection.kind === 'ssh' && spec.stateDir !== undefined && !isAbsolute(spec.stateDir)) {
    diagnostics.push({ severity: 'error', code: 'host-state-dir', file: doc.file, ...doc.locate(['spec', 'stateDir'], 'value'), message: 'with an ssh connection, spec.stateDir is a path on the remote host and must be absolute' });
  }
  const stateDir = spec.stateDir === undefined ? d.stateDir : isAbsolute(spec.stateDir) || connection.kind === 'ssh' ? spec.stateDir : resolve(dir, spec.stateDir);
  const windows: MaintenanceWindow[] | undefined = spec.maintenanceWindows?.map((w, i) => {
    const timeZone = w.timeZone ?? (w.utc === true ? 'UTC' : undefined);
    if (doc !== undefined && w.timeZone !== undefined && !isKnownTimeZone(w.timeZone)) {
      diagnostics.push({ severity: 'error', code: 'window-time-zone', file: doc.file, ...doc.locate(['spec', 'maintenanceWindows', i, 'timeZone'], 'value'), field: `spec.maintenanceWindows[${i}].timeZone`, message: `unknown time zone \`${w.timeZone}\`: expected an IANA name such as Europe/Berlin or UTC` });
    }
    // The remote host's zone is not read (a QNX TZ is a POSIX rule, not an IANA name).
    if (doc !== undefined && connection.kind === 'ssh' && w.timeZone === undefined && w.utc !== true) {
      diagnostics.push({ severity: 'warning', code: 'window-time-zone', file: doc.file, ...doc.locate(['spec', 'maintenanceWindows', i], 'value'), field: `spec.maintenanceWindows[${i}]`, message: `no timeZone: the window follows the time zone of the machine qvmctl runs on (${localTimeZone()}), not the ssh host's; set timeZone (e.g. Europe/Berlin) or utc: true` });
    }
    return {
      days: w.days as Weekday[],
      startMinute: Number(w.start.slice(0, 2)) * 60 + Number(w.start.slice(3, 5)),
      durationMs: durationOr(w.duration, 0),
      timeZone,
    };
  });
  const host: HostSpec = {
    qvm,
    connection,
    ...(spec.arch === undefined ? {} : { arch: spec.arch }),
    stateDir,
    concurrency: spec.concurrency ?? d.concurrency,
    reconcile: {
      intervalMs: durationOr(spec.reconcile?.interval, d.reconcile.intervalMs),
      debounceMs: durationOr(spec.reconcile?.debounce, d.reconcile.debounceMs),
    },
    prune: {
      enabled: spec.prune?.enabled ?? d.prune.enabled,
      graceMs: durationOr(spec.prune?.grace, d.prune.graceMs),
      maxFraction: spec.prune?.maxFraction ?? d.prune.maxFraction,
    },
    maintenanceWindows: windows ?? d.maintenanceWindows,
    shutdown: {
      command: spec.shutdown?.command ?? d.shutdown.command,
      rebootCommand: spec.shutdown?.rebootCommand ?? d.shutdown.rebootCommand,
      deadlineMs: durationOr(spec.shutdown?.deadline, d.shutdown.deadlineMs),
      unmanaged: spec.shutdown?.unmanaged ?? d.shutdown.unmanaged,
    },
    consoleLog: {
      maxSizeBytes: maxSize !== undefined && maxSize >= MIN_BYTE_SIZE && maxSize <= MAX_BYTE_SIZE ? maxSize : (d.consoleLog ?? HOST_CONSOLE_LOG).maxSizeBytes,
      keep: spec.consoleLog?.keep ?? (d.consoleLog ?? HOST_CONSOLE_LOG).keep,
    },
    history: { keep: spec.history?.keep ?? (d.history ?? HOST_RUN_HISTORY).keep },
    commands: { allow: spec.commands?.allow ?? d.commands.allow },
    configRoots: spec.configRoots ?? d.configRoots ?? [],
  };
  return { host, diagnostics };
}

/** SSH connect timeout when the manifest sets none (defaults.ts). */
export { DEFAULT_SSH_CONNECT_TIMEOUT_MS };

// Local files of a connection (key, ssh config) resolve against the manifest directory, like stateDir.
function normalizeConnection(input: NonNullable<HostInput['spec']>['connection'], dir: string, fallback: HostConnection): HostConnection {
  const ssh = input?.ssh;
  if (ssh === undefined) return fallback;
  const local = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(dir, path));
  return {
    kind: 'ssh',
    host: ssh.host,
    user: ssh.user,
    port: ssh.port,
    identityFile: local(ssh.identityFile),
    configFile: local(ssh.configFile),
    connectTimeoutMs: durationOr(ssh.connectTimeout, DEFAULT_SSH_CONNECT_TIMEOUT_MS),
  };
}

/** The time zone of the machine qvmctl runs on (the TZ environment variable, else the system's). */
// Only for a message: Intl's first use costs about 15 ms of a short command's start-up.
function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** True when `zone` is a time zone this Node knows (an IANA name such as `Europe/Berlin`, or `UTC`). */
function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
