// The real Mender client (Debian's mender-client 3.4) in standalone mode, with everything in a temp
// directory: its data directory and configuration, and the qvmctl Update Module of support/mender/.
// Mender 3.4 looks for modules in /usr/share/mender/modules/v3 and for the current Artifact's name in
// /etc/mender/artifact_info, paths it takes from no option; so each `mender` runs in a private user
// and mount namespace (`unshare -rm`) where the test's directories are bind-mounted over those two.
// Nothing outside changes, no service starts, and each `mender` is a process that ends by itself.
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CLI_MAIN } from './cli.js';

export const MODULE_SCRIPT = resolve(import.meta.dirname, '..', '..', 'support', 'mender', 'qvmctl');

function probe(): string | undefined {
  const missing = ['mender', 'mender-artifact'].filter((tool) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).error !== undefined);
  if (missing.length > 0) return `${missing.join(' and ')} not installed: run .ci/run, which installs Debian's mender-client and mender-artifact`;
  const ns = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount --bind /tmp /usr/share/mender/modules/v3 && mount --bind /tmp /etc/mender'], { encoding: 'utf8' });
  if (ns.status !== 0) return `\`unshare -rm\` with bind mounts over /usr/share/mender/modules/v3 and /etc/mender does not work here (${(ns.stderr || ns.error?.message || `exit ${ns.status}`).trim()}): is mender-client installed? run .ci/run`;
  return undefined;
}

/** Why the Mender tests cannot run here; they then fail with this (never skipped). */
export const MENDER_UNAVAILABLE: string | undefined = probe();

export function requireMender(): void {
  if (MENDER_UNAVAILABLE !== undefined) throw new Error(MENDER_UNAVAILABLE);
}

export interface MenderRun {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly output: string;
  readonly ms: number;
}

export interface MenderDevice {
  readonly root: string;
  readonly releaseDir: string;
  /** `mender-artifact write module-image -T qvmctl` of a bundle. */
  artifact(bundle: string, name: string): Promise<string>;
  install(artifact: string, env?: Record<string, string>): Promise<MenderRun>;
  commit(env?: Record<string, string>): Promise<MenderRun>;
  rollback(env?: Record<string, string>): Promise<MenderRun>;
  showArtifact(): Promise<string>;
}

export const DEVICE_TYPE = 'qvmctl-test-host';

const IN_NAMESPACE = `mount --bind "$MODULES" /usr/share/mender/modules/v3 && mount --bind "$ETC" /etc/mender || exit 90
exec mender --config /etc/mender/mender.conf --fallback-config "$ROOT/no-fallback.conf" --data "$DATA" --no-syslog --log-level info "$@"`;

export async function createMenderDevice(root: string, settings: { readonly releaseDir: string; readonly verifyStable?: string; readonly verifyTimeout?: string }): Promise<MenderDevice> {
  const modules = join(root, 'modules');
  const etc = join(root, 'etc');
  const data = join(root, 'data');
  const bin = join(root, 'bin');
  const { releaseDir } = settings;
  await Promise.all([modules, etc, data, bin].map((d) => mkdir(d, { recursive: true })));
  await symlink(MODULE_SCRIPT, join(modules, 'qvmctl'));
  await writeFile(join(etc, 'mender.conf'), '{}\n');
  await writeFile(join(etc, 'artifact_info'), 'artifact_name=factory\n');
  await writeFile(join(data, 'device_type'), `device_type=${DEVICE_TYPE}\n`);
  await writeFile(join(bin, 'qvmctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_MAIN)} "$@"\n`, { mode: 0o755 });
  const config = join(root, 'module.conf');
  await writeFile(config, [
    `QVMCTL=${bin}/qvmctl`,
    `QVMCTL_RELEASE_DIR=${releaseDir}`,
    `QVMCTL_VERIFY_TIMEOUT=${settings.verifyTimeout ?? '30s'}`,
    `QVMCTL_VERIFY_STABLE=${settings.verifyStable ?? '1s'}`,
    '',
  ].join('\n'));
  const mender = async (args: readonly string[], env: Record<string, string> = {}): Promise<MenderRun> => {
    const started = Date.now();
    const r = await execa('unshare', ['-rm', 'sh', '-c', IN_NAMESPACE, 'sh', ...args], {
      reject: false,
      stdin: 'ignore',
      all: true,
      timeout: 180_000,
      forceKillAfterDelay: false,
      env: { NO_COLOR: '1', MODULES: modules, ETC: etc, DATA: data, ROOT: root, QVMCTL_MENDER_CONFIG: config, ...env },
    });
    return { exitCode: r.exitCode, signal: r.signal, output: r.all, ms: Date.now() - started };
  };
  return {
    root,
    releaseDir,
    async artifact(bundle, name) {
      const out = join(root, `${name}.mender`);
      await execa('mender-artifact', ['write', 'module-image', '-T', 'qvmctl', '-n', name, '-t', DEVICE_TYPE, '-f', bundle, '-o', out], { stdin: 'ignore', forceKillAfterDelay: false });
      return out;
    },
    install: (artifact, env) => mender(['install', artifact], env),
    commit: (env) => mender(['commit'], env),
    rollback: (env) => mender(['rollback'], env),
    async showArtifact() {
      const r = await mender(['show-artifact']);
      return r.output.split('\n').filter((l) => !l.startsWith('time=')).join('\n').trim();
    },
  };
}
