// The example fleet, pointed at a QNX-like ssh target on loopback (ssh-target.ts): the manifests stay
// on this machine, the guests and the state directory live on the target.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadManifests } from '../../src/manifest/load.js';
import type { DesiredState } from '../../src/model/host-spec.js';
import { controlDirOf } from '../../src/runtime/create-host.js';
import { createSshHost } from '../../src/runtime/ssh/create-ssh-host.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { copyExampleFleet, runQvmctl, type CliRun } from './cli.js';
import type { SshTarget } from './ssh-target.js';
import { removeDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export interface RemoteFleet {
  readonly manifests: string;
  readonly root: string;
  /** On the target. */
  readonly stateDir: string;
  /** This machine's directory for the connection (master socket, daemon socket). */
  readonly controlDir: string;
  cli(args: readonly string[]): Promise<CliRun>;
  /** PIDs of the qvm processes of each guest on the target (from its process table). */
  qvmPids(): Promise<Map<string, number[]>>;
  /** PIDs of the ssh processes of this fleet's control socket (its master, and any connection that could not be one). */
  masters(): Promise<number[]>;
  /** Ends the ssh master connection of this fleet, as a lost link would. */
  cutLink(): Promise<void>;
  /**
   * The fleet's desired state and an ssh adapter for it with a connection of its own (its own
   * control directory, `ctl-<name>`): another controller of the same host, driven from the test.
   */
  sshHost(name: string): Promise<{ desired: DesiredState; host: ReturnType<typeof createSshHost> }>;
  cleanup(): Promise<void>;
}

export interface RemoteFleetOptions {
  /** Extra `spec.connection.ssh` lines (e.g. a port). */
  readonly sshExtra?: string;
  /** Another ssh_config instead of the target's. */
  readonly configFile?: string;
  readonly stateDir?: string;
  /** The Host's `qvm.path` (default `qvm`). */
  readonly qvmPath?: string;
}

export async function remoteFleet(target: SshTarget, options: RemoteFleetOptions = {}): Promise<RemoteFleet> {
  const fleet = await copyExampleFleet();
  const stateDir = options.stateDir ?? join(target.dir, 'state');
  const hostFile = join(fleet.manifests, 'host.yaml');
  const configFile = options.configFile ?? target.configFile;
  const host = (await readFile(hostFile, 'utf8'))
    .replace('  qvm:\n    simulator: true\n', `  qvm:\n    path: ${options.qvmPath ?? 'qvm'}\n  connection:\n    ssh:\n      host: ${target.alias}\n      configFile: ${configFile}\n${options.sshExtra ?? ''}`)
    .replace(/^ {2}stateDir: .*$/m, `  stateDir: ${stateDir}`);
  if (!host.includes('connection:')) throw new Error('the example Host manifest changed: cannot point it at the ssh target');
  await writeFile(hostFile, host);
  const port = /port: (\d+)/.exec(options.sshExtra ?? '')?.[1];
  const controlDir = controlDirOf({
    qvm: { kind: 'path', path: options.qvmPath ?? 'qvm' },
    connection: { kind: 'ssh', host: target.alias, user: undefined, port: port === undefined ? undefined : Number(port), identityFile: undefined, configFile, connectTimeoutMs: 10_000 },
    stateDir,
  });
  const table = createLinuxProcessTable();
  const onLink = async (): Promise<readonly { readonly pid: number; readonly argv: readonly string[] }[]> =>
    table.list((argv) => argv[0] === 'ssh' && argv.includes(`ControlPath=${join(controlDir, 'ssh')}`));
  // A command's sessions share the path with `ControlMaster=no`; one may still be ending just after
  // its command exited, and is no connection of its own.
  const masters = async (): Promise<number[]> => (await onLink()).filter((p) => !p.argv.includes('ControlMaster=no')).map((p) => p.pid);
  const cutLink = async (): Promise<void> => {
    for (const { pid } of await onLink()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  const qvmPids = async (): Promise<Map<string, number[]>> => {
    const prefix = `@${stateDir}/guests/`;
    const result = new Map<string, number[]>();
    for (const p of await table.list((argv) => argv[1] === target.qvmEntry && argv.some((a) => a.startsWith(prefix)))) {
      const name = p.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length).split('/')[0] ?? '?';
      result.set(name, [...(result.get(name) ?? []), p.pid]);
    }
    return result;
  };
  return {
    manifests: fleet.manifests,
    root: fleet.root,
    stateDir,
    controlDir,
    cli: (args) => runQvmctl([...args, '-f', fleet.manifests]),
    qvmPids,
    masters,
    cutLink,
    async sshHost(name) {
      const desired = (await loadManifests({ dir: fleet.manifests })).desired;
      if (desired === undefined || desired.host.connection.kind !== 'ssh') throw new Error('expected the ssh fleet to load');
      return { desired, host: createSshHost({ connection: desired.host.connection, qvm: desired.host.qvm, stateDir, controlDir: join(fleet.root, `ctl-${name}`) }) };
    },
    async cleanup() {
      // Whatever a test left running gets the power cut (never SIGKILL), so the next test's host is empty.
      const left = [...(await qvmPids()).values()].flat();
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // already gone
        }
      }
      await waitFor(async () => (await Promise.all(left.map((pid) => table.get(pid)))).every((p) => p === undefined || p.zombie) || undefined, { timeoutMs: 10_000, message: 'leftover guests to end' });
      // Their monitors write exit records once qvm has ended: the target's directory is removed only after.
      const monitor = join(stateDir, 'monitor.sh');
      await waitFor(async () => (await table.list((argv) => argv[1] === monitor)).length === 0 || undefined, { timeoutMs: 10_000, message: 'the monitors of leftover guests to end' });
      await cutLink();
      await removeDir(fleet.root);
    },
  };
}
