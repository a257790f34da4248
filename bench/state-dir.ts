// The state directory under restarts (docs/runtime.md, "Compaction"): one guest under `qvmctl run`
// (a real daemon, on the simulator) crashes by itself a moment after every boot and is restarted at
// once, BENCH_RESTARTS times (default 100). The files of its guest directory (`exits/` included) are
// counted at every restart: a count that grows with restarts is the state directory growing forever.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RUN_HISTORY } from '../src/model/host-spec.js';
import { createDaemonHarness, guestYaml, waitFor } from '../test/helpers/daemon-harness.js';

export interface StateDirBenchResult {
  readonly restarts: number;
  /** Files of the guest's directory after the last restart. */
  readonly files: readonly string[];
  /** Files after half the restarts: flat when equal to the end. */
  readonly halfwayCount: number;
  /** The most files seen at any restart. */
  readonly mostCount: number;
  readonly keep: number;
  readonly elapsedMs: number;
}

const TARGET_FILES = 10;

async function guestFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? guestFiles(join(dir, e.name), `${prefix}${e.name}/`) : Promise.resolve([`${prefix}${e.name}`]))));
  return nested.flat().sort();
}

export async function benchStateDir(restarts = Number(process.env['BENCH_RESTARTS'] ?? 100)): Promise<StateDirBenchResult> {
  const h = await createDaemonHarness({ interval: '10m' }, { git: false });
  try {
    // It crashes after the start grace (500 ms), so every start succeeds and every exit is a crash.
    await h.write('crashy.yaml', guestYaml('crashy', {
      knobs: 'boot-ms=20 shutdown-ms=20 crash-after-ms=600',
      spec: '  restart: { onFailure: restart, backoff: { initial: 0s }, maxFailures: { count: 100000 }, startLimit: { interval: 0s } }\n',
    }));
    const t0 = Date.now();
    await h.startDaemon(['--log-level', 'info']);
    const dir = join(h.stateDir, 'guests', 'crashy');
    let seen = -1;
    let most = 0;
    let halfwayCount = 0;
    while (seen < restarts) {
      const now = await waitFor(async () => { const g = await h.guest('crashy'); return g !== undefined && g.restarts > seen ? g.restarts : undefined; }, { timeoutMs: 60_000, message: `restart ${seen + 1}` });
      const count = (await guestFiles(dir)).length;
      most = Math.max(most, count);
      if (now >= restarts / 2 && halfwayCount === 0) halfwayCount = count;
      seen = now;
    }
    // The restart that was counted last has booted: its files are there.
    await waitFor(async () => ((await h.guest('crashy'))?.phase === 'running' ? true : undefined), { timeoutMs: 30_000 });
    const files = await guestFiles(dir);
    return { restarts: seen, files, halfwayCount, mostCount: Math.max(most, files.length), keep: DEFAULT_RUN_HISTORY.keep, elapsedMs: Date.now() - t0 };
  } finally {
    await h.cleanup();
  }
}

export function formatStateDirBench(r: StateDirBenchResult): string[] {
  const files = r.files.length;
  return [
    `state-dir files per guest after ${r.restarts} restarts: ${files} (after ${Math.ceil(r.restarts / 2)}: ${r.halfwayCount}; most at any restart: ${r.mostCount}; target ≤ ${TARGET_FILES}: ${r.mostCount <= TARGET_FILES ? 'met' : 'NOT met'}; ${(files / TARGET_FILES).toFixed(1)}× the target)`,
    `  kept (history.keep ${r.keep}): ${r.files.join(' ')}`,
    `  ${r.restarts} crash/restart cycles under qvmctl run in ${(r.elapsedMs / 1000).toFixed(1)} s`,
  ];
}
