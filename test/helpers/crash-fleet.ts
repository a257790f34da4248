// A small fleet driven through the built CLI, with a crash point armed, and the invariants the
// reliability suite checks afterwards from the simulator's journal and the state directory.
import { readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI_MAIN } from './cli.js';
import { createHarness, type Harness, type JournalLine } from './runtime-harness.js';
import { makeTempDir, removeDir } from './temp-dir.js';

export interface CliOutcome {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly output: string;
}

export interface CrashFleet {
  readonly root: string;
  readonly manifests: string;
  readonly stateDir: string;
  readonly harness: Harness;
  /** `restart` is the guest's whole `spec.restart` as flow YAML (then `backoff` is not used). */
  writeGuest(name: string, options?: { knobs?: string; state?: 'running' | 'stopped'; dependsOn?: readonly string[]; guestCommand?: boolean; backoff?: string; restart?: string }): Promise<void>;
  /** Rewrites the Host manifest with these extra `spec` lines (e.g. `  history: { keep: 2 }`). */
  writeHost(extra: string): Promise<void>;
  removeGuest(name: string): Promise<void>;
  /** Runs `qvmctl <args> -f <manifests> --state-dir <state>`, with QVMCTL_CRASH_AT when given. */
  cli(args: readonly string[], crashAt?: string): Promise<CliOutcome>;
  journal(): Promise<JournalLine[]>;
  /** Epoch ms of each run of the host command. */
  hostCommandRuns(): Promise<number[]>;
  cleanup(): Promise<void>;
}

export async function createCrashFleet(options: { prune?: boolean } = {}): Promise<CrashFleet> {
  const root = await makeTempDir('crash');
  const manifests = join(root, 'manifests');
  const stateDir = join(root, 'state');
  await execa('mkdir', ['-p', manifests]);
  const prune = options.prune === true ? '{ enabled: true, grace: 0s, maxFraction: 1 }' : '{ enabled: false }';
  const writeHost = (extra: string): Promise<void> => writeFile(join(manifests, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
metadata: { name: crash }
spec:
  qvm: { simulator: true }
  stateDir: ${stateDir}
  prune: ${prune}
  commands: { allow: [qvm-sim] }
  shutdown: { command: [${root}/host-command, poweroff], rebootCommand: [${root}/host-command, reboot], deadline: 30s, unmanaged: stop }
${extra}`);
  await writeHost('');
  // Stand-in for the host's shutdown utility: appends `<epoch ms> <args>` to host-command.log.
  await writeFile(join(root, 'host-command'), `#!/bin/sh\necho "$(date +%s%3N) $*" >> ${root}/host-command.log\n`, { mode: 0o755 });
  const harness = await createHarness({ stateDir });
  return {
    root,
    manifests,
    stateDir,
    harness,
    async writeGuest(name, o = {}) {
      const guestCommand = o.guestCommand === false ? '' : `    guestCommand: [qvm-sim, guest, "{system}", shutdown]\n`;
      await writeFile(join(manifests, `${name}.yaml`), `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  state: ${o.state ?? 'running'}
  dependsOn: [${(o.dependsOn ?? []).join(', ')}]
  qvm:
    config: |
      # qvm-sim: ${o.knobs ?? 'boot-ms=20 shutdown-ms=50'}
      system ${name}
      ram 0x80000000,64M
      cpu
  shutdown:
${guestCommand}    guestTimeout: 5s
    powerButtonTimeout: 5s
${o.restart !== undefined ? `  restart: ${o.restart}\n` : o.backoff === undefined ? '' : `  restart: { backoff: { initial: ${o.backoff} } }\n`}`);
    },
    writeHost: (extra) => writeHost(extra === '' || extra.endsWith('\n') ? extra : `${extra}\n`),
    removeGuest: (name) => rm(join(manifests, `${name}.yaml`)),
    async cli(args, crashAt) {
      const r = await execa(process.execPath, [CLI_MAIN, ...args, '-f', manifests, '--state-dir', stateDir], {
        reject: false,
        env: { NO_COLOR: '1', ...(crashAt === undefined ? {} : { QVMCTL_CRASH_AT: crashAt }) },
        stdin: 'ignore',
        timeout: 60_000,
        forceKillAfterDelay: false,
      });
      return { exitCode: r.exitCode, signal: r.signal, output: `${r.stdout}\n${r.stderr}` };
    },
    journal: () => harness.journal(),
    async hostCommandRuns() {
      const text = await readFile(join(root, 'host-command.log'), 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.length > 0).map((l) => Number(l.split(' ')[0]));
    },
    async cleanup() {
      await harness.cleanup();
      await removeDir(root);
    },
  };
}

/** Each violation of "at most one qvm per system at any time", from the journal's boots and exits. */
export function concurrentInstances(journal: readonly JournalLine[]): string[] {
  const live = new Map<string, Set<number>>();
  const problems: string[] = [];
  for (const line of [...journal].sort((a, b) => a.time - b.time)) {
    const set = live.get(line.system) ?? new Set<number>();
    live.set(line.system, set);
    if (line.event === 'boot') {
      if (set.size > 0) problems.push(`${line.system}: pid ${line.pid} booted while ${[...set].join(', ')} ran`);
      set.add(line.pid);
    }
    if (line.event === 'exit') set.delete(line.pid);
  }
  return problems;
}

/** Systems and the pids the journal shows running (booted, not exited). */
export function liveInstances(journal: readonly JournalLine[]): Map<string, number[]> {
  const live = new Map<string, number[]>();
  for (const line of journal) {
    if (line.event === 'boot') live.set(line.system, [...(live.get(line.system) ?? []), line.pid]);
    if (line.event === 'exit') live.set(line.system, (live.get(line.system) ?? []).filter((p) => p !== line.pid));
  }
  return live;
}

/** Exit records the monitors wrote (claimed or not), per guest, as the pids they are for. */
export async function exitRecordPids(stateDir: string, name: string): Promise<number[]> {
  return (await exitRecords(stateDir, name)).map((r) => r.pid).sort((a, b) => a - b);
}

/** The monitors' exit records of one guest, claimed or not. */
export async function exitRecords(stateDir: string, name: string): Promise<{ pid: number; status: number; requested: boolean }[]> {
  const dir = join(stateDir, 'guests', name);
  const files = [
    ...(await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.exit.json')).map((f) => join(dir, f)),
    ...(await readdir(join(dir, 'exits')).catch(() => [])).filter((f) => f.endsWith('.exit.json')).map((f) => join(dir, 'exits', f)),
  ];
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as { pid: number; status: number; requested: boolean }));
}

/** Every .json file in the state directory that does not parse. */
export async function unparsableStateFiles(stateDir: string): Promise<string[]> {
  const bad: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.json')) {
        try {
          JSON.parse(await readFile(p, 'utf8'));
        } catch {
          bad.push(p);
        }
      }
    }
  };
  await walk(stateDir);
  return bad;
}
