// Runs every benchmark module in bench/ and prints its figures (`npm run bench`).
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
  { name: 'shutdown (50-guest DAG)', run: async () => formatShutdownBench(await benchShutdown()) },
];

for (const bench of benches) {
  console.log(`# ${bench.name}`);
  for (const line of await bench.run()) console.log(line);
}
