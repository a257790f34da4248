// Runs every benchmark module in bench/ and prints its figures (`npm run bench`).
import { benchCli, formatCliBench } from './cli.js';
import { benchDaemon, formatDaemonBench } from './daemon.js';
import { benchMakespan, formatMakespanBench } from './makespan.js';
import { benchManifests, formatManifestBench } from './manifests.js';
import { benchPlan, formatPlanBench } from './plan.js';
import { benchRelease, formatReleaseBench } from './release.js';
import { benchRemote, formatRemoteBench } from './remote.js';
import { benchRuntime, formatRuntimeBench } from './runtime.js';
import { benchShutdown, formatShutdownBench } from './shutdown.js';
import { benchSim, formatSimBench } from './sim.js';
import { benchStateDir, formatStateDirBench } from './state-dir.js';
import { benchUi, formatUiBench } from './ui.js';

const benches: readonly { readonly name: string; readonly run: () => Promise<readonly string[]> | readonly string[] }[] = [
  { name: 'cli (start-up of short commands, the example fleet)', run: async () => formatCliBench(await benchCli()) },
  { name: 'plan', run: () => formatPlanBench(benchPlan()) },
  { name: 'manifests', run: async () => formatManifestBench(await benchManifests()) },
  { name: 'sim (200 simulated guests)', run: async () => formatSimBench(await benchSim()) },
  { name: 'runtime', run: async () => formatRuntimeBench(await benchRuntime()) },
  { name: 'start-up makespan (50-guest DAG on the simulator)', run: async () => formatMakespanBench(await benchMakespan()) },
  { name: 'daemon', run: async () => formatDaemonBench(await benchDaemon()) },
  { name: 'state-dir (one guest restarted 100 times under qvmctl run)', run: async () => formatStateDirBench(await benchStateDir()) },
  { name: 'shutdown (50-guest DAG)', run: async () => formatShutdownBench(await benchShutdown()) },
  { name: 'remote (ssh adapter beside the local one, 50-guest DAG)', run: async () => formatRemoteBench(await benchRemote()) },
  { name: 'ui (the web view in headless Chromium, 100 and 200 guests)', run: async () => formatUiBench(await benchUi()) },
  { name: 'release (the example fleet in phases, and through the Mender client)', run: async () => formatReleaseBench(await benchRelease()) },
];

// BENCH_ONLY=daemon,plan runs only the named benchmarks.
const only = process.env['BENCH_ONLY']?.split(',');
for (const bench of benches.filter((b) => only === undefined || only.some((name) => b.name.startsWith(name)))) {
  console.log(`# ${bench.name}`);
  for (const line of await bench.run()) console.log(line);
}
