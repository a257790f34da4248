// Loading + validating a large fleet: 1,000 guest manifests forming a DAG, median of several runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../src/manifest/load.js';

export interface ManifestBenchResult {
  readonly guests: number;
  readonly runs: number;
  /** Milliseconds per run, sorted ascending. */
  readonly timesMs: readonly number[];
}

export function guestManifest(i: number): string {
  // Each guest depends on up to two earlier ones: a DAG, no cycles.
  const deps = [Math.floor(i / 2) - 1, i - 7].filter((d) => d >= 0 && d < i).map((d) => `g${d}`);
  return [
    'apiVersion: qvmctl/v1',
    'kind: Guest',
    'metadata:',
    `  name: g${i}`,
    '  labels: { tier: bench }',
    'spec:',
    '  qvm:',
    '    cpus: 2',
    '    ram: ["0x80000000,256M"]',
    `    load: [/guests/g${i}/Image]`,
    '    vdevs:',
    '      - type: pl011',
    '        options: [{ loc: "0x1c090000" }, { intr: "gic:37" }, { hostdev: ">-" }]',
    '      - type: virtio-net',
    `        options: [{ loc: "0x1c0c0000" }, { intr: "gic:41" }, { peer: /dev/qvm/g0/net${i} }]`,
    '    simulator: { boot-ms: 200 }',
    `  dependsOn: [${[...new Set(deps)].join(', ')}]`,
    '  readiness: { minUptime: 1s }',
    '  shutdown: { guestCommand: [qvm-sim, guest, "{system}", shutdown], guestTimeout: 10s }',
    '',
  ].join('\n');
}

export async function benchManifests(options: { guests?: number; runs?: number } = {}): Promise<ManifestBenchResult> {
  const guests = options.guests ?? 1000;
  const runs = options.runs ?? 7;
  const dir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-manifests-'));
  try {
    await writeFile(join(dir, 'host.yaml'), 'apiVersion: qvmctl/v1\nkind: Host\nspec:\n  commands: { allow: [qvm-sim] }\n');
    await Promise.all(Array.from({ length: guests }, (_, i) => writeFile(join(dir, `g${i}.yaml`), guestManifest(i))));
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const start = performance.now();
      const result = await loadManifests({ dir });
      times.push(performance.now() - start);
      if (result.status !== 'ok' || result.desired?.guests.length !== guests) throw new Error(`bench fleet did not validate: ${result.status}`);
    }
    return { guests, runs, timesMs: times.sort((a, b) => a - b) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatManifestBench(result: ManifestBenchResult): readonly string[] {
  const t = result.timesMs;
  const ms = (n: number | undefined): string => `${(n ?? 0).toFixed(0)} ms`;
  return [
    `loadManifests, ${result.guests} guest manifests (DAG): median ${ms(t[Math.floor(t.length / 2)])} over ${result.runs} runs`,
    `  min ${ms(t[0])}, max ${ms(t.at(-1))} (the slowest run includes schema compilation)`,
  ];
}
