// Runs every benchmark module in bench/ and prints its figures (`npm run bench`).
import { benchPlan, formatPlanBench } from './plan.js';

const benches: readonly { readonly name: string; readonly run: () => Promise<readonly string[]> | readonly string[] }[] = [
  { name: 'plan', run: () => formatPlanBench(benchPlan()) },
];

for (const bench of benches) {
  console.log(`# ${bench.name}`);
  for (const line of await bench.run()) console.log(line);
}
