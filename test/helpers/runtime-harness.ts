// Runtime tests against the bundled simulator: a temp state directory per test, guest specs with
// simulator knobs, the simulator's journal, and cleanup that ends leftover guests without SIGKILL.
import { afterEach, beforeEach, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestSpec, Readiness, ShutdownSpec } from '../../src/model/guest-spec.js';
import type { QvmBinary } from '../../src/model/host-spec.js';
import { createHostRuntime, type HostRuntimeOptions } from '../../src/runtime/create-host-runtime.js';
import type { ObservedGuest } from '../../src/model/observed.js';
import type { HostPort } from '../../src/runtime/port.js';
import { SIMULATOR_ENTRY, SIMULATOR_NODE_FLAGS } from '../../src/runtime/qvm-command.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { readSimJournal, type SimJournalLine } from './sim-guest.js';
import { guest } from '../planner/fixtures.js';
import { waitFor } from './wait-for.js';

export const SIM_HOST: { readonly qvm: QvmBinary } = { qvm: { kind: 'simulator' } };

export type JournalLine = SimJournalLine;

export interface GuestOptions {
  /** `# qvm-sim:` knobs, e.g. `boot-ms=50 ignore-power-button`. */
  readonly knobs?: string;
  readonly shutdown?: Partial<ShutdownSpec>;
  readonly readiness?: Readiness;
  readonly extraConf?: string;
}

export function guestSpec(name: string, options: GuestOptions = {}): GuestSpec {
  const qvmconf = `system ${name}\n# qvm-sim: ${options.knobs ?? 'boot-ms=50 shutdown-ms=50'}\nram 0x80000000,64M\ncpu\n${options.extraConf ?? ''}`;
  return guest(name, {
    qvmconf,
    configHash: createHash('sha256').update(qvmconf).digest('hex').slice(0, 16),
    readiness: options.readiness ?? { kind: 'none' },
    shutdown: {
      guestCommand: ['qvm-sim', 'guest', name, 'shutdown'],
      guestTimeoutMs: 3_000,
      powerButtonTimeoutMs: 3_000, powerButton: 'graceful' as const,
      allowPowerCut: false,
      powerCutTimeoutMs: 3_000,
      ...options.shutdown,
    },
    restart: { backoff: { initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 } },
  });
}

export interface Harness {
  readonly stateDir: string;
  readonly runtime: HostPort;
  /** A fresh runtime on the same state directory: a new qvmctl process, as far as state goes. */
  newRuntime(options?: Partial<HostRuntimeOptions>): HostPort;
  journal(): Promise<JournalLine[]>;
  /** Starts a guest and waits until the simulator reports it running (its signal handling is set up). */
  startRunning(spec: GuestSpec, runtime?: HostPort): Promise<ObservedGuest>;
  /** Ends every qvm still running in this state directory (power cut allowed), then removes it. */
  cleanup(): Promise<void>;
}

/** A harness on a fresh temp state directory, or on `stateDir` (e.g. one a CLI under test uses). */
export async function createHarness(options: { readonly stateDir?: string } = {}): Promise<Harness> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'qvmctl-rt-')));
  const newRuntime = (options: Partial<HostRuntimeOptions> = {}): HostPort =>
    createHostRuntime({ host: SIM_HOST, stateDir, tuning: { pollMs: 20 }, ...options });
  const runtime = newRuntime();
  // The runtime sets QVM_SIM_DIR=<stateDir>/sim for the simulator.
  const journal = (): Promise<JournalLine[]> => Promise.resolve(readSimJournal(join(stateDir, 'sim')));
  return {
    stateDir,
    runtime,
    newRuntime,
    journal,
    async startRunning(spec, on = runtime) {
      const guest = await on.start(spec);
      await waitFor(async () => (await journal()).some((l) => l.event === 'running' && l.pid === guest.pid), { timeoutMs: 20_000 });
      return guest;
    },
    async cleanup() {
      const cut: ShutdownSpec = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 500, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 5_000 };
      const observed = await runtime.observe();
      await Promise.all([
        ...observed.guests.map((g) => runtime.stop(g.name, cut, g)),
        // Only this simulated host's qvm are observed (their QVM_SIM_DIR is its own: docs/runtime.md).
        ...observed.unmanaged.map((p) => runtime.stopUnmanaged(p, cut)),
      ]);
      await monitorsEnded(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * A monitor writes its exit record after qvm has ended (a stop of a qvm known only by its config
 * path does not wait for it): a state directory is removed once no monitor of it runs.
 */
export async function monitorsEnded(stateDir: string): Promise<void> {
  const monitor = join(stateDir, 'monitor.sh');
  await waitFor(async () => (await createLinuxProcessTable().list((argv) => argv[1] === monitor)).length === 0, { timeoutMs: 10_000, message: 'the monitors of the stopped guests to end' });
}

/**
 * A qvm someone started by hand on the simulated host of `stateDir`: from its own configuration
 * file there (`file`, with `qvmconf`), not through qvmctl. Resolves once it runs.
 */
export async function startQvmByHand(stateDir: string, file: string, qvmconf: string): Promise<{ pid: number; exitCode: () => Promise<number | undefined> }> {
  const conf = join(stateDir, file);
  await writeFile(conf, qvmconf);
  return runQvmByHand(stateDir, [`@${conf}`]);
}

/**
 * A qvm started by hand on the simulated host of `stateDir` with any qvm arguments (`@files`, which
 * must exist, and inline options), the way an integrator would: its QVM_SIM_DIR is that host's.
 * Resolves once it runs.
 */
export async function runQvmByHand(stateDir: string, args: readonly string[]): Promise<{ pid: number; exitCode: () => Promise<number | undefined> }> {
  const qvm = execa(process.execPath, [...SIMULATOR_NODE_FLAGS, SIMULATOR_ENTRY, ...args], {
    detached: true, cleanup: false, forceKillAfterDelay: false, stdio: 'ignore', reject: false,
    env: { QVM_SIM_DIR: join(stateDir, 'sim') },
  });
  const pid = qvm.pid ?? 0;
  let ended: number | undefined;
  void qvm.then((r) => { ended = r.exitCode ?? -1; });
  await waitFor(() => {
    // A qvm that could not start (e.g. 65, a configuration error) fails the test at once.
    if (ended !== undefined) throw new Error(`qvm ${args.join(' ')} ended with exit code ${ended} before it ran`);
    return readSimJournal(join(stateDir, 'sim')).some((l) => l.event === 'running' && l.pid === pid);
  }, { timeoutMs: 20_000, message: `qvm ${args.join(' ')} running` });
  return { pid, exitCode: async () => (await qvm).exitCode };
}

/** The journal must never show a SIGKILL or hardware damage: qvmctl never sends SIGKILL (docs/shutdown.md). */
export function journalViolations(lines: readonly JournalLine[]): JournalLine[] {
  return lines.filter((l) => l.signal === 'SIGKILL' || (l.event === 'damage' && l.kind === 'hardware'));
}

export function signalsIn(lines: readonly JournalLine[], system: string): string[] {
  return lines.filter((l) => l.system === system && l.event === 'signal').map((l) => l.signal ?? '?');
}

/**
 * A fresh harness for every test of the calling file, cleaned up after it, and the journal checked:
 * no SIGKILL and no hardware damage, whatever the test did. Members read the current test's harness.
 */
export function useHarness(): Harness {
  let current: Harness | undefined;
  beforeEach(async () => { current = await createHarness(); });
  afterEach(async () => {
    const harness = get();
    const journal = await harness.journal();
    await harness.cleanup();
    current = undefined;
    expect(journalViolations(journal)).toEqual([]);
  });
  const get = (): Harness => {
    if (current === undefined) throw new Error('useHarness: used outside a test');
    return current;
  };
  return {
    get stateDir() { return get().stateDir; },
    get runtime() { return get().runtime; },
    newRuntime: (options) => get().newRuntime(options),
    journal: () => get().journal(),
    startRunning: (spec, runtime) => get().startRunning(spec, runtime),
    cleanup: () => get().cleanup(),
  };
}
