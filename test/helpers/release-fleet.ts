// Releases of a small simulated fleet: one manifest directory per release, bundled with the built
// CLI, a release directory and a host state directory in one temp directory, and the simulator's
// journal to check what ran.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { execa } from 'execa';
import { CLI_MAIN, runQvmctl, type CliRun } from './cli.js';
import { createHarness, type Harness, type JournalLine } from './runtime-harness.js';
import { makeTempDir, removeDir } from './temp-dir.js';

export interface ReleaseGuest {
  readonly name: string;
  /** `# qvm-sim:` knobs. @default boot-ms=40 shutdown-ms=40 */
  readonly knobs?: string;
  readonly dependsOn?: readonly string[];
  /** `spec.update`. @default restart */
  readonly update?: 'restart' | 'window' | 'manual';
}

export interface ReleaseFleet {
  readonly root: string;
  readonly stateDir: string;
  readonly releaseDir: string;
  readonly harness: Harness;
  /** Writes a manifest directory for these guests and bundles it; returns the bundle's path. */
  bundle(name: string, guests: readonly ReleaseGuest[], options?: { readonly stateDir?: string }): Promise<string>;
  /** `qvmctl release VERB ARGS… --release-dir …`, with QVMCTL_CRASH_AT when given. */
  release(verb: string, args?: readonly string[], crashAt?: string): Promise<CliRun & { readonly signal: string | undefined }>;
  /** `qvmctl status -o json -f <releaseDir>`. */
  status(): Promise<{ release: { committed: boolean; phase: string; applied: { digest: string } | null }; guests: { name: string; phase: string; pid: number | null; desired: string }[] }>;
  journal(): Promise<JournalLine[]>;
  cleanup(): Promise<void>;
}

export async function createReleaseFleet(): Promise<ReleaseFleet> {
  const root = await makeTempDir('release');
  const stateDir = join(root, 'state');
  const releaseDir = join(root, 'release');
  const harness = await createHarness({ stateDir });
  const run = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> => runQvmctl(args, { env: { QVMCTL_RELEASE_DIR: releaseDir, ...env } });
  return {
    root,
    stateDir,
    releaseDir,
    harness,
    async bundle(name, guests, options = {}) {
      const dir = join(root, 'src', name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
metadata: { name: fleet-test }
spec:
  qvm: { simulator: true }
  stateDir: ${options.stateDir ?? stateDir}
  commands: { allow: [qvm-sim] }
`);
      for (const g of guests) {
        await writeFile(join(dir, `${g.name}.yaml`), `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${g.name} }
spec:
  dependsOn: [${(g.dependsOn ?? []).join(', ')}]
  qvm:
    config: |
      # qvm-sim: ${g.knobs ?? 'boot-ms=40 shutdown-ms=40'}
      system ${g.name}
      ram 0x80000000,64M
      cpu
  readiness: { minUptime: 100ms }
  update: ${g.update ?? 'restart'}
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    guestTimeout: 5s
    powerButtonTimeout: 5s
`);
      }
      const file = join(root, `${name}.qvmb`);
      const r = await runQvmctl(['bundle', '-f', dir, '-o', file]);
      expect(r.exitCode, r.stderr).toBe(0);
      return file;
    },
    async release(verb, args = [], crashAt) {
      const r = await execa(process.execPath, [CLI_MAIN, 'release', verb, ...args], {
        reject: false,
        stdin: 'ignore',
        timeout: 120_000,
        forceKillAfterDelay: false,
        env: { NO_COLOR: '1', QVMCTL_RELEASE_DIR: releaseDir, ...(crashAt === undefined ? {} : { QVMCTL_CRASH_AT: crashAt }) },
      });
      return { exitCode: r.exitCode ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    },
    async status() {
      const r = await run(['status', '-o', 'json', '-f', releaseDir]);
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Awaited<ReturnType<ReleaseFleet['status']>>;
    },
    journal: () => harness.journal(),
    async cleanup() {
      await harness.cleanup();
      await removeDir(root);
    },
  };
}

/** The pids that booted for a system, in order. */
export function bootsOf(journal: readonly JournalLine[], system: string): number[] {
  return journal.filter((l) => l.system === system && l.event === 'boot').map((l) => l.pid);
}
