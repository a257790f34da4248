// End-to-end daemon tests: a git repository of manifests, a state directory, `qvmctl run` as a real
// process (built dist/), the simulator's journal, and cleanup that ends every guest without SIGKILL.
import { mkdir, mkdtemp, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { ShutdownSpec } from '../../src/model/guest-spec.js';
import { fetchDaemon } from '../../src/cli/daemon-client.js';
import type { DaemonStatus, GuestStatus } from '../../src/daemon/guest-status.js';
import type { DaemonEvent } from '../../src/daemon/event-log.js';
import { createHostRuntime } from '../../src/runtime/create-host-runtime.js';
import { monitorsEnded, type JournalLine } from './runtime-harness.js';
import { waitFor } from './wait-for.js';
import { CLI_MAIN } from './cli.js';

export const CLI = CLI_MAIN;
export const SIM = resolve(import.meta.dirname, '../../dist/sim/main.js');

export interface HostOptions {
  readonly debounce?: string;
  readonly interval?: string;
  readonly prune?: boolean;
}

export interface GuestYamlOptions {
  readonly knobs?: string;
  /** Extra YAML under `spec:` (indented two spaces). */
  readonly spec?: string;
}

export function hostYaml(stateDir: string, options: HostOptions = {}): string {
  return `apiVersion: qvmctl/v1
kind: Host
metadata: { name: test }
spec:
  qvm: { simulator: true }
  stateDir: ${stateDir}
  reconcile: { interval: ${options.interval ?? '30s'}, debounce: ${options.debounce ?? '100ms'} }
  prune: { enabled: ${options.prune === true ? 'true' : 'false'}, grace: 0s, maxFraction: 1 }
  commands: { allow: [qvm-sim] }
`;
}

/**
 * The guest command's budget counts the command itself (docs/runtime.md, "Stop ladder"): `qvm-sim guest` is a
 * Node program whose start-up alone may take seconds on a loaded machine, so it gets 8 s.
 */
export const GUEST_TIMEOUT = '8s';

export function guestYaml(name: string, options: GuestYamlOptions = {}): string {
  return `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  qvm:
    config: |
      # qvm-sim: ${options.knobs ?? 'boot-ms=50 shutdown-ms=50'}
      system ${name}
      ram 0x80000000,64M
      cpu
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    guestTimeout: ${GUEST_TIMEOUT}
    powerButtonTimeout: 3s
${options.spec ?? ''}`;
}

/** The `qvmctl run` process of a test. */
export interface DaemonProcess {
  readonly pid: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal: NodeJS.Signals): boolean;
  /** Resolves when it has ended. */
  readonly ended: Promise<unknown>;
}

export interface DaemonHarness {
  readonly root: string;
  readonly manifestDir: string;
  readonly stateDir: string;
  write(file: string, text: string): Promise<void>;
  remove(file: string): Promise<void>;
  /** `git add -A && git commit`. */
  commit(message: string): Promise<void>;
  git(...args: string[]): Promise<string>;
  /** Starts `qvmctl run` and waits until its socket answers. */
  startDaemon(extraArgs?: readonly string[]): Promise<void>;
  readonly daemon: DaemonProcess | undefined;
  status(): Promise<DaemonStatus>;
  guest(name: string): Promise<GuestStatus | undefined>;
  events(guest?: string): Promise<readonly DaemonEvent[]>;
  metrics(): Promise<string>;
  journal(): Promise<JournalLine[]>;
  /** `qvm-sim guest <system> <action>` from inside the guest. */
  guestCommand(system: string, action: string): Promise<void>;
  /** Sends a signal to the daemon and waits for it to end. */
  stopDaemon(signal?: NodeJS.Signals): Promise<void>;
  log(): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  /** The manifest directory is a git repository. @default true */
  readonly git?: boolean;
  /** The state directory, relative to the harness's temp directory. @default state */
  readonly stateDir?: string;
}

/** How long a daemon may take to end after SIGTERM: a pass's ladders run to their end first. */
const STOP_DEADLINE_MS = 30_000;

export async function createDaemonHarness(host: HostOptions = {}, options: HarnessOptions = {}): Promise<DaemonHarness> {
  const root = await mkdtemp(join(tmpdir(), 'qvmctl-daemon-'));
  const manifestDir = join(root, 'manifests');
  const stateDir = join(root, options.stateDir ?? 'state');
  const logFile = join(root, 'daemon.log');
  const simEnv = { QVM_SIM_DIR: join(stateDir, 'sim') };
  const git = async (...args: string[]): Promise<string> =>
    (await execa('git', ['-C', manifestDir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args])).stdout;
  if (options.git === false) await mkdir(manifestDir, { recursive: true });
  else await execa('git', ['init', '-q', manifestDir]);
  await writeFile(join(manifestDir, 'host.yaml'), hostYaml(stateDir, host));
  let daemon: DaemonProcess | undefined;
  const api = async <T>(path: string): Promise<T> => {
    const answer = await fetchDaemon<T>(stateDir, path);
    if (answer === undefined) throw new Error('no daemon answers');
    return answer;
  };
  const harness: DaemonHarness = {
    root,
    manifestDir,
    stateDir,
    get daemon() {
      return daemon;
    },
    write: (file, text) => writeFile(join(manifestDir, file), text),
    remove: (file) => unlink(join(manifestDir, file)),
    async commit(message) {
      await git('add', '-A');
      await git('commit', '-q', '--allow-empty', '-m', message);
    },
    git,
    async startDaemon(extraArgs = []) {
      const child = execa('node', [CLI, 'run', '-f', manifestDir, '--state-dir', stateDir, '--log-format', 'json', '--log-level', 'debug', ...extraArgs], {
        stdout: { file: logFile, append: true },
        stderr: { file: logFile, append: true },
        reject: false,
        forceKillAfterDelay: false,
      });
      const ended = child.then(() => undefined);
      daemon = {
        get pid() { return child.pid; },
        get exitCode() { return child.exitCode; },
        get signalCode() { return child.signalCode; },
        kill: (signal) => child.kill(signal),
        ended,
      };
      // (not `return child`: a subprocess is a thenable, an async function would wait for its end)
      await waitFor(async () => (await fetchDaemon(stateDir, '/healthz').catch(() => undefined)) !== undefined || child.exitCode !== null, { timeoutMs: 20_000, message: 'daemon socket' });
    },
    status: () => api<DaemonStatus>('/status'),
    async guest(name) {
      return (await api<DaemonStatus>('/status')).guests.find((g) => g.name === name);
    },
    async events(guest) {
      return (await api<{ events: DaemonEvent[] }>(guest === undefined ? '/events' : `/events?guest=${guest}`)).events;
    },
    async metrics() {
      return (await fetchMetrics(stateDir)) ?? '';
    },
    async journal() {
      const text = await readFile(join(stateDir, 'sim', 'journal.jsonl'), 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as JournalLine);
    },
    async guestCommand(system, action) {
      await execa('node', [SIM, 'guest', system, action], { env: simEnv });
    },
    async stopDaemon(signal = 'SIGTERM') {
      const child = daemon;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      // A daemon that does not end is a bug to report with what it was doing, not a hook timeout.
      let ended = false;
      void child.ended.then(() => { ended = true; });
      try {
        await waitFor(() => ended, { timeoutMs: STOP_DEADLINE_MS, intervalMs: 50 });
      } catch {
        const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0).slice(-30).join('\n');
        throw new Error(`the daemon (pid ${String(child.pid)}) has not ended ${STOP_DEADLINE_MS / 1000} s after ${signal}; the last lines of its log:\n${tail}`);
      }
    },
    async log() {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async cleanup() {
      // Whatever the daemon did, every guest is stopped and the error is reported at the end.
      const stopped = await harness.stopDaemon('SIGTERM').then(() => undefined, (error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      const runtime = createHostRuntime({ host: { qvm: { kind: 'simulator' } }, stateDir, tuning: { pollMs: 20 } });
      const cut: ShutdownSpec = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 500, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 5_000 };
      const observed = await runtime.observe();
      await Promise.all([
        ...observed.guests.map((g) => runtime.stop(g.name, cut, g)),
        ...observed.unmanaged.filter((p) => p.argv.some((a) => a.startsWith(`@${stateDir}/`))).map((p) => runtime.stopUnmanaged(p, cut)),
      ]);
      await monitorsEnded(stateDir);
      if (stopped !== undefined) throw stopped;
      await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}

async function fetchMetrics(stateDir: string): Promise<string | undefined> {
  const { request } = await import('node:http');
  const { atSocketAddress } = await import('../../src/daemon/control-socket.js');
  return atSocketAddress(join(stateDir, 'qvmctl.sock'), (socketPath) => new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => { resolve(text); });
    });
    req.on('error', reject);
    req.end();
  }));
}

/** The value of a counter/gauge sample in Prometheus text, 0 when absent. */
export function metricValue(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** Systems with more than one qvm alive at once, from the journal (boot … exit per pid). */
export function overlappingRuns(lines: readonly JournalLine[]): string[] {
  const alive = new Map<string, Set<number>>();
  const overlaps = new Set<string>();
  for (const l of lines) {
    const set = alive.get(l.system) ?? new Set<number>();
    alive.set(l.system, set);
    if (l.event === 'running') {
      set.add(l.pid);
      if (set.size > 1) overlaps.add(l.system);
    }
    if (l.event === 'exit') set.delete(l.pid);
  }
  return [...overlaps];
}

export { waitFor };
