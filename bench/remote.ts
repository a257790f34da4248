// The ssh adapter side by side with the local one, in one run, on one QNX-like target over real ssh
// on loopback (sshd, mksh, toybox; the simulator as qvm): the 50-guest DAG's start-up makespan
// against its critical path; a look at 50 running guests (time and round trips) from both adapters
// on the same state directory; an idle pass's round trips; a guest exit → its new qvm, both adapters;
// and the host shutdown of the 50 guests over ssh (docs/remote.md, "Measured").
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { runPass } from '../src/executor/reconcile-pass.js';
import { runShutdownSequence, SHUTDOWN_TUNING } from '../src/executor/shutdown-sequence.js';
import { loadManifests } from '../src/manifest/load.js';
import type { DesiredState } from '../src/model/host-spec.js';
import { createHostRuntime } from '../src/runtime/create-host-runtime.js';
import type { HostPort } from '../src/runtime/port.js';
import { createLinuxProcessTable } from '../src/runtime/proc-table/linux.js';
import { createSshHost } from '../src/runtime/ssh/create-ssh-host.js';
import { startSshTarget, type SshTarget } from '../test/helpers/ssh-target.js';
import { createBenchDag, criticalPathMs, formatChain, formatShutdownChain, readJournal, traceChain, traceShutdownChain, type ChainBreakdown, type ShutdownChain } from './makespan.js';

export interface RemoteBenchResult {
  readonly guests: number;
  readonly startLowerBoundMs: number;
  readonly startMakespanMs: number;
  /** Where the start-up makespan beyond the bound went, along the chain that finished last. */
  readonly startChain: ChainBreakdown;
  readonly observeLocalMs: number;
  readonly observeSshMs: number;
  readonly observeRoundTrips: number;
  readonly idlePassRoundTrips: number;
  readonly idlePassMs: number;
  readonly restartLocalMs: number;
  readonly restartSshMs: number;
  readonly restartRoundTrips: number;
  /** One ssh round trip (an empty script) through the master connection. */
  readonly roundTripMs: number;
  /** The longest dependency chain of shutdown times. */
  readonly shutdownLowerBoundMs: number;
  readonly shutdownMakespanMs: number;
  /** The same fleet's shutdown through the local adapter, started again over ssh. */
  readonly shutdownLocalMs: number;
  readonly shutdownChain: ShutdownChain;
  readonly shutdownLocalChain: ShutdownChain;
}

const REPEATS = 7;

/** Shutdown times of 300–1200 ms, as in the local shutdown benchmark, fixed per guest. */
function shutdownMsOf(index: number): number {
  return 300 + ((index * 7) % 10) * 100;
}

function manifest(guest: ReturnType<typeof createBenchDag>[number], index: number): string {
  return [
    'apiVersion: qvmctl/v1', 'kind: Guest', `metadata: { name: ${guest.name} }`, 'spec:', '  qvm:', '    ram: ["0x80000000,128M"]',
    `    simulator: { boot-ms: ${guest.bootMs}, shutdown-ms: ${shutdownMsOf(index)} }`, `  dependsOn: [${guest.dependsOn.join(', ')}]`,
    '  readiness: { logPattern: "login:", timeout: 60s }', '',
  ].join('\n');
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

export async function benchRemote(): Promise<RemoteBenchResult> {
  const target: SshTarget = await startSshTarget({ os: 'linux' });
  const dag = createBenchDag();
  const stateDir = join(target.dir, 'state');
  const root = join(target.dir, 'manifests');
  let ssh: ReturnType<typeof createSshHost> | undefined;
  let desired: DesiredState | undefined;
  try {
    await execa('mkdir', ['-p', root], { forceKillAfterDelay: false });
    await writeFile(join(root, 'host.yaml'), [
      'apiVersion: qvmctl/v1', 'kind: Host', 'metadata: { name: bench }', 'spec:', '  qvm: { path: qvm }',
      `  connection: { ssh: { host: ${target.alias}, configFile: ${target.configFile} } }`, `  stateDir: ${stateDir}`, `  concurrency: ${dag.length}`, '',
    ].join('\n'));
    await Promise.all(dag.map((g, i) => writeFile(join(root, `${g.name}.yaml`), manifest(g, i))));
    const loaded = await loadManifests({ dir: root });
    if (loaded.desired === undefined) throw new Error(`bench manifests invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    desired = loaded.desired;
    const connection = desired.host.connection;
    if (connection.kind !== 'ssh') throw new Error('expected an ssh host');
    ssh = createSshHost({ connection, qvm: desired.host.qvm, stateDir, controlDir: join(target.dir, 'ctl') });
    // The same state directory through the local adapter: the target is this machine.
    const local = createHostRuntime({ host: desired.host, stateDir, env: { PATH: `${target.binDir}:${process.env['PATH'] ?? ''}`, QVM_SIM_DIR: target.simDir } });

    await ssh.observe(); // connects and probes the OS first
    const trips: number[] = [];
    for (let i = 0; i < REPEATS; i++) trips.push((await timed(() => (ssh as ReturnType<typeof createSshHost>).client.quick('true\n')))[1]);
    const roundTripMs = median(trips);

    const startCalls = new Map<string, number>();
    const wallStart = Date.now();
    const [pass, startMakespanMs] = await timed(() => runPass({ desired: desired as DesiredState, runtime: ssh as HostPort, explicit: true, hooks: { onStepStart: (step) => { startCalls.set(step.guest, Date.now()); } } }));
    if (!pass.execution.ok) throw new Error(`apply over ssh failed: ${pass.execution.steps.filter((x) => x.status === 'failed').map((x) => `${x.guest}: ${x.detail}`).join('; ')}`);

    const journal = await readJournal(stateDir, target.simDir);
    const running = (name: string): number => journal.find((e) => e.system === name && e.event === 'running')?.time ?? Number.NaN;
    const startChain = traceChain({ dag, startCalls, running, passStart: wallStart, passEnd: wallStart + startMakespanMs });

    const sshLooks: number[] = [];
    const localLooks: number[] = [];
    const before = ssh.client.roundTrips;
    for (let i = 0; i < REPEATS; i++) {
      sshLooks.push((await timed(() => (ssh as HostPort).observe()))[1]);
      localLooks.push((await timed(() => local.observe()))[1]);
    }
    const observeRoundTrips = (ssh.client.roundTrips - before) / REPEATS;
    const seen = await ssh.observe();
    if (seen.guests.length !== dag.length) throw new Error(`observed ${seen.guests.length} of ${dag.length} guests over ssh`);

    const idleBefore = ssh.client.roundTrips;
    const [idle, idlePassMs] = await timed(() => runPass({ desired: desired as DesiredState, runtime: ssh as HostPort, explicit: false }));
    if (idle.plan.changes.length > 0) throw new Error('the idle pass planned changes');
    const idlePassRoundTrips = ssh.client.roundTrips - idleBefore;

    const restartSshMs: number[] = [];
    const restartLocalMs: number[] = [];
    let restartRoundTrips = 0;
    for (let i = 0; i < 3; i++) {
      restartSshMs.push(await restartOnce({ target, stateDir, desired, runtime: ssh, guest: `l4-g${i}` }));
      const rtBefore = ssh.client.roundTrips;
      restartLocalMs.push(await restartOnce({ target, stateDir, desired, runtime: local, guest: `l4-g${i + 3}` }));
      restartRoundTrips = Math.max(restartRoundTrips, ssh.client.roundTrips - rtBefore);
    }
    // Round trips of one ssh restart pass (counted on the last one).
    const rt0 = ssh.client.roundTrips;
    restartSshMs.push(await restartOnce({ target, stateDir, desired, runtime: ssh, guest: 'l4-g6' }));
    restartRoundTrips = ssh.client.roundTrips - rt0;

    // As `qvmctl shutdown` runs it: the shutdown's tuning (docs/shutdown.md), through the same connection.
    const sshDown = createSshHost({ connection, qvm: desired.host.qvm, stateDir, controlDir: join(target.dir, 'ctl'), tuning: SHUTDOWN_TUNING });
    const downFrom = Date.now();
    const [down, shutdownMakespanMs] = await timed(() => runShutdownSequence({ desired: desired as DesiredState, runtime: sshDown, mode: 'none' }));
    const shutdownChain = traceShutdownChain({ dag, journal: await readJournal(stateDir, target.simDir), from: downFrom, to: downFrom + shutdownMakespanMs });
    await sshDown.close();
    if (down.status !== 'completed') throw new Error(`shutdown over ssh: ${down.status} ${down.blockers.join('; ')}`);
    await ssh.state.liftFence();
    // The same shutdown through the local adapter, on the same host and state directory.
    const again = await runPass({ desired, runtime: ssh, explicit: true });
    if (!again.execution.ok) throw new Error('the second apply over ssh failed');
    const localDown = createHostRuntime({ host: desired.host, stateDir, env: { PATH: `${target.binDir}:${process.env['PATH'] ?? ''}`, QVM_SIM_DIR: target.simDir }, tuning: SHUTDOWN_TUNING });
    const localFrom = Date.now();
    const [downLocal, shutdownLocalMs] = await timed(() => runShutdownSequence({ desired: desired as DesiredState, runtime: localDown, mode: 'none' }));
    const shutdownLocalChain = traceShutdownChain({ dag, journal: await readJournal(stateDir, target.simDir), from: localFrom, to: localFrom + shutdownLocalMs });
    if (downLocal.status !== 'completed') throw new Error(`local shutdown: ${downLocal.status} ${downLocal.blockers.join('; ')}`);
    await ssh.state.liftFence();
    return {
      guests: dag.length,
      startLowerBoundMs: criticalPathMs(dag),
      startMakespanMs,
      startChain,
      observeLocalMs: median(localLooks),
      observeSshMs: median(sshLooks),
      observeRoundTrips,
      idlePassRoundTrips,
      idlePassMs,
      restartLocalMs: median(restartLocalMs),
      restartSshMs: median(restartSshMs),
      restartRoundTrips,
      roundTripMs,
      shutdownLowerBoundMs: criticalPathMs(dag.map((g, i) => ({ ...g, bootMs: shutdownMsOf(i) }))),
      shutdownMakespanMs,
      shutdownLocalMs,
      shutdownChain,
      shutdownLocalChain,
    };
  } catch (error) {
    console.error('remote bench failed:', error);
    throw error;
  } finally {
    // Whatever still runs gets the power button first, so the target can be removed.
    if (ssh !== undefined && desired !== undefined) await runShutdownSequence({ desired, runtime: ssh, mode: 'none' }).catch(() => undefined);
    await ssh?.close();
    await target.stop();
  }
}

// A guest reboots from inside (qvm ends with 0); the pass that follows starts it again. Measured from the pass's start to the new
// qvm in the process table (the restart started), the exit record already on disk.
async function restartOnce(o: { target: SshTarget; stateDir: string; desired: DesiredState; runtime: HostPort; guest: string }): Promise<number> {
  const guestDir = join(o.stateDir, 'guests', o.guest);
  const records = async (): Promise<number> => (await readdir(guestDir)).filter((f) => f.endsWith('.exit.json')).length;
  const old = (await o.runtime.observe()).guests.find((g) => g.name === o.guest);
  if (old === undefined) throw new Error(`${o.guest} does not run`);
  await execa(process.execPath, [o.target.qvmEntry, 'guest', o.guest, 'reboot'], { env: { QVM_SIM_DIR: o.target.simDir }, forceKillAfterDelay: false });
  const deadline = Date.now() + 10_000;
  while ((await records()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const table = createLinuxProcessTable();
  const prefix = `@${guestDir}/`;
  const t0 = performance.now();
  let startedMs = Number.NaN;
  const watching = (async () => {
    while (Number.isNaN(startedMs) && performance.now() - t0 < 30_000) {
      const found = await table.list((argv) => argv.some((a) => a.startsWith(prefix)) && argv[1] === o.target.qvmEntry);
      if (found.some((p) => p.pid !== old.pid)) startedMs = performance.now() - t0;
      else await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await runPass({ desired: o.desired, runtime: o.runtime, explicit: false });
  await watching;
  return startedMs;
}

export function formatRemoteBench(r: RemoteBenchResult): string[] {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const s = (v: number): string => `${(v / 1000).toFixed(2)} s`;
  return [
    `one round trip (a kept-open shell): ${ms(r.roundTripMs)}`,
    `start-up makespan of ${r.guests} guests over ssh: ${s(r.startMakespanMs)} against a ${s(r.startLowerBoundMs)} lower bound (${(r.startMakespanMs / r.startLowerBoundMs).toFixed(3)}×)`,
    `  ${formatChain(r.startChain)}`,
    `observe ${r.guests} running guests: local ${ms(r.observeLocalMs)}, ssh ${ms(r.observeSshMs)} in ${r.observeRoundTrips} round trip(s) (target: ≤ 2× local + 20 ms = ${ms(2 * r.observeLocalMs + 20)})`,
    `idle pass over ssh: ${ms(r.idlePassMs)}, ${r.idlePassRoundTrips} round trips`,
    `guest exit → new qvm (median): local ${ms(r.restartLocalMs)}, ssh ${ms(r.restartSshMs)} in ${r.restartRoundTrips} round trips (ssh − local = ${((r.restartSshMs - r.restartLocalMs) / r.roundTripMs).toFixed(1)} round trips)`,
    `shutdown of ${r.guests} guests (no host command, shutdown 300–1200 ms each) against a ${s(r.shutdownLowerBoundMs)} lower bound: ssh ${s(r.shutdownMakespanMs)} (${(r.shutdownMakespanMs / r.shutdownLowerBoundMs).toFixed(3)}×), local ${s(r.shutdownLocalMs)} (${(r.shutdownLocalMs / r.shutdownLowerBoundMs).toFixed(3)}×)`,
    `  ssh: ${formatShutdownChain(r.shutdownChain)}`,
    `  local: ${formatShutdownChain(r.shutdownLocalChain)}`,
  ];
}
