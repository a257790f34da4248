// One schema-valid Guest document → GuestSpec: defaults applied (from defaults.ts), durations in ms,
// commands checked against the Host allow-list, the VM configuration resolved and checked.

import { createHash } from 'node:crypto';
import { hasErrors, type Diagnostic } from '../model/diagnostic.js';
import type { ExitCodeMeaning, GuestSpec, Readiness } from '../model/guest-spec.js';
import type { HostSpec } from '../model/host-spec.js';
import { checkCommand, substituteArgv } from './commands.js';
import { GUEST_DEFAULTS } from './defaults.js';
import { durationOr } from './duration.js';
import { checkQvmPaths } from './qvm-paths.js';
import { archOfVdevs, derivePowerButton } from './power-button.js';
import type { GuestInput } from './manifest-types.js';
import { resolveQvmConfig } from './qvm-config.js';
import type { QvmFacts } from './qvm-facts.js';
import type { SourceDocument } from './source-document.js';

export interface NormalizedGuest {
  readonly spec: GuestSpec;
  readonly doc: SourceDocument;
  readonly facts: QvmFacts;
  readonly inputs: readonly string[];
}

export async function normalizeGuest(options: {
  doc: SourceDocument;
  manifestPath: string;
  host: HostSpec;
  allowedRoots: readonly string[];
}): Promise<{ guest: NormalizedGuest | undefined; diagnostics: Diagnostic[] }> {
  const { doc, host } = options;
  const input = doc.data as GuestInput;
  const spec = input.spec;
  const name = input.metadata.name;
  const diagnostics: Diagnostic[] = [];
  const allow = host.commands.allow;
  if (spec.shutdown?.guestCommand !== undefined) diagnostics.push(...checkCommand({ doc, path: ['spec', 'shutdown', 'guestCommand'], argv: spec.shutdown.guestCommand, allow }));
  if (spec.readiness?.command !== undefined) diagnostics.push(...checkCommand({ doc, path: ['spec', 'readiness', 'command'], argv: spec.readiness.command, allow }));
  const readinessProblems = checkReadiness(doc);
  diagnostics.push(...readinessProblems);
  const qvm = await resolveQvmConfig({ doc, qvm: spec.qvm, name, manifestPath: options.manifestPath, allowedRoots: options.allowedRoots });
  diagnostics.push(...qvm.diagnostics);
  if (qvm.resolved !== undefined) diagnostics.push(...(await checkQvmPaths(qvm.resolved.files, { host, workingDir: qvm.resolved.workingDir })));
  if (qvm.resolved === undefined || hasErrors(diagnostics)) return { guest: undefined, diagnostics };
  const { system, qvmconf, facts, extraArgs } = qvm.resolved;
  const d = GUEST_DEFAULTS;
  const r = spec.restart ?? {};
  const exitCodes: Record<number, ExitCodeMeaning> = {};
  for (const [code, meaning] of Object.entries(r.exitCodes ?? {})) exitCodes[Number(code)] = meaning;
  const guestCommand = spec.shutdown?.guestCommand;
  const button = derivePowerButton({ declared: spec.shutdown?.powerButton, os: spec.os, hostArch: host.arch, configArch: archOfVdevs(facts.vdevTypes) });
  const allowPowerCut = spec.shutdown?.allowPowerCut ?? d.shutdown.allowPowerCut;
  if (guestCommand === undefined && button.powerButton !== 'graceful') {
    const end = allowPowerCut ? 'the power cut (allowPowerCut) is its only stop' : 'nothing stops it: a stop or host shutdown leaves it running (stuck)';
    diagnostics.push({ severity: 'warning', code: 'no-controlled-stop', file: doc.file, ...doc.locate(spec.shutdown === undefined ? ['spec'] : ['spec', 'shutdown'], 'key'), field: 'spec.shutdown.guestCommand', message: `guest \`${name}\` has no guest shutdown command and its power button is ${button.powerButton} (${button.basis}): ${end}; add shutdown.guestCommand, or set shutdown.powerButton: graceful if a vdev of its own handles the button` });
  }
  const guest: GuestSpec = {
    name,
    labels: input.metadata.labels ?? {},
    source: { file: doc.file, line: doc.locate([]).line },
    state: spec.state ?? d.state,
    system,
    qvmconf,
    extraArgs,
    ...(host.connection.kind === 'local' ? { workingDir: qvm.resolved.workingDir } : {}),
    configHash: hashConfig(qvmconf, extraArgs, qvm.resolved.included),
    dependsOn: spec.dependsOn ?? [],
    readiness: normalizeReadiness(input, { name, system }),
    shutdown: {
      guestCommand: guestCommand === undefined ? undefined : substituteArgv(guestCommand, { name, system }),
      guestTimeoutMs: durationOr(spec.shutdown?.guestTimeout, d.shutdown.guestTimeoutMs),
      powerButtonTimeoutMs: durationOr(spec.shutdown?.powerButtonTimeout, d.shutdown.powerButtonTimeoutMs),
      powerButton: button.powerButton,
      powerButtonBasis: button.basis,
      allowPowerCut,
      powerCutTimeoutMs: durationOr(spec.shutdown?.powerCutTimeout, d.shutdown.powerCutTimeoutMs),
    },
    restart: {
      onGuestExit: r.onGuestExit ?? d.restart.onGuestExit,
      onFailure: r.onFailure ?? d.restart.onFailure,
      backoff: {
        initialMs: durationOr(r.backoff?.initial, d.restart.backoff.initialMs),
        maxMs: durationOr(r.backoff?.max, d.restart.backoff.maxMs),
        resetAfterMs: durationOr(r.backoff?.resetAfter, d.restart.backoff.resetAfterMs),
      },
      maxFailures: { count: r.maxFailures?.count ?? d.restart.maxFailures.count, windowMs: durationOr(r.maxFailures?.window, d.restart.maxFailures.windowMs) },
      exitCodes,
      startLimit: { burst: r.startLimit?.burst ?? d.restart.startLimit.burst, intervalMs: durationOr(r.startLimit?.interval, d.restart.startLimit.intervalMs) },
    },
    update: spec.update ?? d.update,
    passthrough: facts.passthrough,
  };
  return { guest: { spec: guest, doc, facts, inputs: qvm.resolved.inputs }, diagnostics };
}

/**
 * Identity of what qvm runs: a running guest whose hash differs needs a restart. `included` are the
 * contents of the `@file`s among extraArgs (qvm reads them too); without any, the hash is the one
 * earlier versions computed, so an upgrade restarts nothing.
 */
export function hashConfig(qvmconf: string, extraArgs: readonly string[], included: readonly string[] = []): string {
  const identity = included.length === 0 ? [qvmconf, extraArgs] : [qvmconf, extraArgs, included];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

function normalizeReadiness(input: GuestInput, values: { name: string; system: string }): Readiness {
  const readiness = input.spec.readiness;
  if (readiness === undefined) return { kind: 'none' };
  const timeoutMs = durationOr(readiness.timeout, 0);
  if (readiness.command !== undefined) {
    return { kind: 'command', argv: substituteArgv(readiness.command, values), intervalMs: durationOr(readiness.interval, GUEST_DEFAULTS.readinessIntervalMs), timeoutMs };
  }
  if (readiness.logPattern !== undefined) return { kind: 'log', pattern: readiness.logPattern, timeoutMs };
  return { kind: 'uptime', minUptimeMs: durationOr(readiness.minUptime, 0) };
}

// The log pattern must compile. Exactly one way to tell readiness, and interval only with a command,
// are the schema's (schema-rules.ts).
function checkReadiness(doc: SourceDocument): Diagnostic[] {
  const readiness = (doc.data as GuestInput).spec.readiness;
  if (readiness === undefined) return [];
  const path = ['spec', 'readiness'];
  const out: Diagnostic[] = [];
  const add = (at: readonly (string | number)[], message: string, target: 'key' | 'value' = 'value'): void => {
    out.push({ severity: 'error', code: 'readiness', file: doc.file, ...doc.locate(at, target), field: at.join('.'), message });
  };
  if (readiness.logPattern !== undefined) {
    try {
      new RegExp(readiness.logPattern);
    } catch (error) {
      add([...path, 'logPattern'], `log pattern is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}
