// Runs every benchmark module in bench/ and prints its figures (`npm run bench`).
import { benchMakespan, formatMakespanBench } from './makespan.js';
import { benchManifests, formatManifestBench } from './manifests.js';
import { benchPlan, formatPlanBench } from './plan.js';
import { benchRuntime, formatRuntimeBench } from './runtime.js';
import { benchShutdown, formatShutdownBench } from './shutdown.js';
import { benchSim, formatSimBench } from './sim.js';

const benches: readonly { readonly name: string; readonly run: () => Promise<readonly string[]> | readonly string[] }[] = [
  { name: 'plan', run: () => formatPlanBench(benchPlan()) },
  { name: 'manifests', run: async () => formatManifestBench(await benchManifests()) },
  { name: 'sim (200 simulated guests)', run: async () => formatSimBench(await benchSim()) },
  { name: 'runtime', run: async () => formatRuntimeBench(await benchRuntime()) },
  { name: 'start-up makespan (50-guest DAG on the simulator)', run: async () => formatMakespanBench(await benchMakespan()) },
  { name: 'shutdown (50-guest DAG)', run: async () => formatShutdownBench(await benchShutdown()) },
];

for (const bench of benches) {
  console.log(`# ${bench.name}`);
  for (const line of await bench.run()) console.log(line);
}
