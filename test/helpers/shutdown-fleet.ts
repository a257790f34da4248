// Shutdown tests: an example-like fleet on the simulator, a host with a test host command, the
// host command's log, and journal checks for the order of exits.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import type { DesiredState, HostSpec, UnmanagedPolicy } from '../../src/model/host-spec.js';
import { guestSpec, type GuestOptions, type JournalLine } from './runtime-harness.js';

/**
 * Stand-in for the host's `shutdown` utility: `node -e <this> <log> <args…>` appends one line
 * `<epoch ms> <args…>` to the log, so a test can check that it ran, how often and when.
 */
const HOST_COMMAND_CODE = "require('node:fs').appendFileSync(process.argv[1], Date.now() + ' ' + process.argv.slice(2).join(' ') + '\\n')";

/** The host command argv that logs `args` to the state directory's host-command log. */
export function hostCommand(stateDir: string, ...args: string[]): string[] {
  return [process.execPath, '-e', HOST_COMMAND_CODE, hostLogPath(stateDir), ...args];
}

export function hostLogPath(stateDir: string): string {
  return join(stateDir, 'host-command.log');
}

/** Lines the host command wrote: `{at, args}`; empty when it never ran. */
export async function readHostLog(stateDir: string): Promise<{ at: number; args: string }[]> {
  const text = await readFile(hostLogPath(stateDir), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.length > 0).map((l) => {
    const [at = '0', ...rest] = l.split(' ');
    return { at: Number(at), args: rest.join(' ') };
  });
}

export function testHost(stateDir: string, unmanaged: UnmanagedPolicy = 'refuse'): HostSpec {
  return {
    qvm: { kind: 'simulator' },
    connection: { kind: 'local' },
    stateDir,
    concurrency: 4,
    reconcile: { intervalMs: 30_000, debounceMs: 300 },
    prune: { enabled: false, graceMs: 60_000, maxFraction: 0.5 },
    maintenanceWindows: [],
    shutdown: {
      command: hostCommand(stateDir, 'poweroff'),
      rebootCommand: hostCommand(stateDir, 'reboot'),
      deadlineMs: 60_000,
      unmanaged,
    },
    commands: { allow: ['qvm-sim'] },
  };
}

export function withDeps(spec: GuestSpec, dependsOn: readonly string[]): GuestSpec {
  return { ...spec, dependsOn };
}

const FAST = { guestTimeoutMs: 2_000, powerButtonTimeoutMs: 2_000, powerButton: 'graceful' as const, powerCutTimeoutMs: 2_000 };

/**
 * The cockpit fleet: svc ← {cluster, ivi, telematics}, ivi ← rear-seat. svc and rear-seat honour
 * their guest command, ivi needs the power button, telematics has no guest command, cluster needs
 * the power cut (allowed). `overrides` replaces a guest's options (e.g. to make one stuck).
 */
export function cockpitFleet(overrides: Readonly<Record<string, GuestOptions>> = {}): GuestSpec[] {
  const options: Record<string, GuestOptions> = {
    svc: { knobs: 'boot-ms=50 shutdown-ms=150', shutdown: FAST },
    cluster: { knobs: 'boot-ms=50 shutdown-ms=50 ignore-guest-shutdown ignore-power-button', shutdown: { ...FAST, guestTimeoutMs: 300, powerButtonTimeoutMs: 300, powerButton: 'graceful' as const, allowPowerCut: true } },
    ivi: { knobs: 'boot-ms=50 shutdown-ms=200 ignore-guest-shutdown', shutdown: { ...FAST, guestTimeoutMs: 300 } },
    'rear-seat': { knobs: 'boot-ms=50 shutdown-ms=100', shutdown: FAST },
    telematics: { knobs: 'boot-ms=50 shutdown-ms=100', shutdown: { ...FAST, guestCommand: undefined } },
    ...overrides,
  };
  const deps: Record<string, string[]> = { svc: [], cluster: ['svc'], ivi: ['svc'], 'rear-seat': ['ivi'], telematics: ['svc'] };
  return Object.keys(deps).map((name) => withDeps(guestSpec(name, options[name]), deps[name] ?? []));
}

export function desiredFleet(guests: readonly GuestSpec[], host: HostSpec): DesiredState {
  return { guests, host };
}

/** Epoch ms of a system's exit in the journal. */
export function exitTime(journal: readonly JournalLine[], system: string): number | undefined {
  return journal.find((l) => l.system === system && l.event === 'exit')?.time;
}

/** When qvmctl first asked a system to stop: its guest action, a signal, or its orderly shutdown. */
export function firstStopRequest(journal: readonly JournalLine[], system: string): number | undefined {
  return journal.find((l) => l.system === system && (l.event === 'guest' || l.event === 'signal' || l.event === 'shutdown'))?.time;
}

/** Dependency edges whose dependency was asked to stop before the dependent had exited. */
export function orderViolations(journal: readonly JournalLine[], guests: readonly GuestSpec[]): string[] {
  const violations: string[] = [];
  for (const g of guests) {
    for (const dep of g.dependsOn) {
      const dependentExit = exitTime(journal, g.name);
      const depStop = firstStopRequest(journal, dep);
      if (dependentExit === undefined || depStop === undefined || depStop < dependentExit) violations.push(`${dep} before ${g.name}`);
    }
  }
  return violations;
}
