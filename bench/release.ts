// Releases of the example fleet on the simulator (docs/fleet.md, "Sizing"): the bundle's size and
// the time to build it; each phase by hand (prepare, apply, verify, commit; a release whose verify
// fails, and its rollback), every phase a qvmctl process as an Update Module runs it; then the same
// through the real Mender client in standalone mode: install, commit, a failing install (with
// Mender's rollback), and `mender rollback`. Verify holds each guest `--stable 2s`.
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { CLI_MAIN, EXAMPLE_MANIFESTS } from '../test/helpers/cli.js';
import { createMenderDevice, MENDER_UNAVAILABLE } from '../test/helpers/mender-device.js';
import { makeTempDir, removeDir } from '../test/helpers/temp-dir.js';

export interface ReleaseBenchResult {
  readonly bundleBytes: number;
  readonly bundleFiles: number;
  readonly bundleMs: number;
  readonly reproducible: boolean;
  readonly artifactBytes: number | undefined;
  /** verb → ms, for the first release on an empty host, the second (one guest changed), and a bad one. */
  readonly first: Readonly<Record<string, number>>;
  readonly second: Readonly<Record<string, number>>;
  readonly bad: Readonly<Record<string, number>>;
  readonly mender: Readonly<Record<string, number>> | string;
}

const STABLE = '2s';

async function qvmctl(args: readonly string[], env: Record<string, string> = {}): Promise<{ ms: number; exitCode: number | undefined; out: string }> {
  const started = performance.now();
  const r = await execa(process.execPath, [CLI_MAIN, ...args], { reject: false, all: true, stdin: 'ignore', env: { NO_COLOR: '1', ...env }, forceKillAfterDelay: false });
  return { ms: performance.now() - started, exitCode: r.exitCode, out: r.all };
}

async function must(args: readonly string[], env: Record<string, string> = {}, expected = 0): Promise<number> {
  const r = await qvmctl(args, env);
  if (r.exitCode !== expected) throw new Error(`qvmctl ${args.join(' ')}: exit ${r.exitCode}, expected ${expected}\n${r.out}`);
  return r.ms;
}

// The example fleet, and two variants: telematics on a new configuration, and one that crashes.
async function writeReleases(root: string): Promise<{ r1: string; r2: string; r3: string }> {
  const dirs = { r1: join(root, 'src', 'r1'), r2: join(root, 'src', 'r2'), r3: join(root, 'src', 'r3') };
  for (const dir of Object.values(dirs)) await cp(EXAMPLE_MANIFESTS, dir, { recursive: true });
  const telematics = await readFile(join(dirs.r1, 'telematics.yaml'), 'utf8');
  await writeFile(join(dirs.r2, 'telematics.yaml'), telematics.replace('boot-ms: 500', 'boot-ms: 600'));
  await writeFile(join(dirs.r3, 'telematics.yaml'), telematics.replace('boot-ms: 500', 'boot-ms: 600\n      crash-after-ms: 1000'));
  const out = { r1: join(root, 'r1.qvmb'), r2: join(root, 'r2.qvmb'), r3: join(root, 'r3.qvmb') };
  for (const key of ['r1', 'r2', 'r3'] as const) await must(['bundle', '-f', dirs[key], '-o', out[key]]);
  return out;
}

async function phases(releaseDir: string, bundle: string, expectVerify = 0): Promise<Record<string, number>> {
  const env = { QVMCTL_RELEASE_DIR: releaseDir };
  const times: Record<string, number> = {};
  times['prepare'] = await must(['release', 'prepare', bundle], env);
  times['apply'] = await must(['release', 'apply'], env);
  times['verify'] = await must(['release', 'verify', '--stable', STABLE], env, expectVerify);
  if (expectVerify === 0) times['commit'] = await must(['release', 'commit'], env);
  else times['rollback'] = await must(['release', 'rollback'], env);
  return times;
}

async function stopAll(releaseDir: string): Promise<void> {
  await qvmctl(['shutdown', '--no-host', '-f', releaseDir]);
}

export async function benchRelease(): Promise<ReleaseBenchResult> {
  const root = await makeTempDir('bench-release');
  try {
    const bundles = await writeReleases(root);
    const started = performance.now();
    await must(['bundle', '-f', EXAMPLE_MANIFESTS, '-o', join(root, 'a.qvmb')]);
    const bundleMs = performance.now() - started;
    await must(['bundle', '-f', EXAMPLE_MANIFESTS, '-o', join(root, 'b.qvmb')]);
    const [a, b] = await Promise.all([readFile(join(root, 'a.qvmb')), readFile(join(root, 'b.qvmb'))]);
    const meta = JSON.parse((await execa('tar', ['-xOf', join(root, 'a.qvmb'), 'qvmctl-bundle.json'])).stdout) as { files: unknown[] };

    const byHand = join(root, 'by-hand');
    let first: Record<string, number>;
    let second: Record<string, number>;
    let bad: Record<string, number>;
    try {
      first = await phases(byHand, bundles.r1);
      second = await phases(byHand, bundles.r2);
      bad = await phases(byHand, bundles.r3, 1);
    } finally {
      await stopAll(byHand);
    }

    let artifactBytes: number | undefined;
    let mender: Record<string, number> | string = MENDER_UNAVAILABLE ?? {};
    if (MENDER_UNAVAILABLE === undefined) {
      const releaseDir = join(root, 'mender-release');
      const device = await createMenderDevice(join(root, 'device'), { releaseDir, verifyStable: STABLE, verifyTimeout: '60s' });
      const times: Record<string, number> = {};
      const step = async (name: string, run: () => Promise<{ exitCode: number | undefined; ms: number; output: string }>, expected = 0): Promise<void> => {
        const r = await run();
        if (r.exitCode !== expected) throw new Error(`mender ${name}: exit ${r.exitCode}\n${r.output}`);
        times[name] = r.ms;
      };
      try {
        const [m1, m2, m3] = [await device.artifact(bundles.r1, 'r1'), await device.artifact(bundles.r2, 'r2'), await device.artifact(bundles.r3, 'r3')];
        artifactBytes = (await stat(m1)).size;
        await step('install (first release, 5 guests)', () => device.install(m1));
        await step('commit', () => device.commit());
        await step('install (1 guest changed)', () => device.install(m2));
        await step('commit ', () => device.commit());
        await step('install that fails verify, with its rollback', () => device.install(m3), 1);
        await step('install (back to the first release)', () => device.install(m1));
        await step('rollback', () => device.rollback());
        mender = times;
      } finally {
        await stopAll(releaseDir);
      }
    }
    return { bundleBytes: a.length, bundleFiles: meta.files.length, bundleMs, reproducible: a.equals(b), artifactBytes, first, second, bad, mender };
  } finally {
    await removeDir(root);
  }
}

function line(label: string, times: Readonly<Record<string, number>>): string {
  return `${label}: ${Object.entries(times).map(([verb, ms]) => `${verb.trim()} ${(ms / 1000).toFixed(2)} s`).join(', ')}`;
}

export function formatReleaseBench(r: ReleaseBenchResult): string[] {
  return [
    `example fleet bundle: ${r.bundleFiles} files, ${r.bundleBytes} bytes${r.artifactBytes === undefined ? '' : ` (Mender Artifact ${r.artifactBytes} bytes)`}, built in ${(r.bundleMs / 1000).toFixed(2)} s (a qvmctl process), same bytes twice: ${r.reproducible ? 'yes' : 'NO'}`,
    line('first release, empty host', r.first),
    line('second release, telematics changed', r.second),
    line('release whose telematics crashes after 1 s', r.bad),
    typeof r.mender === 'string' ? `mender: not measured (${r.mender})` : line('mender standalone', r.mender),
  ];
}
