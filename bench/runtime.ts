// Runtime against the bundled simulator: start N guests (limited concurrency), observe with N
// running, stop them all with the power button. N from BENCH_RUNTIME_GUESTS (default 40).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import PQueue from 'p-queue';
import type { ShutdownSpec } from '../src/model/guest-spec.js';
import type { ObservedGuest } from '../src/model/observed.js';
import { createHostRuntime } from '../src/runtime/create-host-runtime.js';
import { guestSpec } from '../test/helpers/runtime-harness.js';

export interface RuntimeBenchResult {
  readonly guests: number;
  readonly concurrency: number;
  readonly startAllMs: number;
  readonly startMedianMs: number;
  readonly observeMs: number;
  readonly stopAllMs: number;
  readonly stopMedianMs: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

export async function benchRuntime(guests = Number(process.env.BENCH_RUNTIME_GUESTS ?? 40), concurrency = 8): Promise<RuntimeBenchResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-rt-'));
  const runtime = createHostRuntime({ host: { qvm: { kind: 'simulator' } }, stateDir });
  const specs = Array.from({ length: guests }, (_, i) => guestSpec(`g${i}`, { knobs: 'boot-ms=100 shutdown-ms=100' }));
  const shutdown: ShutdownSpec = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 30_000, powerButton: 'graceful' as const, allowPowerCut: true, powerCutTimeoutMs: 10_000 };
  const queue = new PQueue({ concurrency });
  try {
    const startTimes: number[] = [];
    const started: ObservedGuest[] = [];
    const t0 = performance.now();
    await Promise.all(specs.map((spec) => queue.add(async () => {
      const t = performance.now();
      started.push(await runtime.start(spec));
      startTimes.push(performance.now() - t);
    })));
    const startAllMs = performance.now() - t0;

    const t1 = performance.now();
    const observed = await runtime.observe();
    const observeMs = performance.now() - t1;
    if (observed.guests.length !== guests) throw new Error(`observed ${observed.guests.length} of ${guests} guests`);

    const stopTimes: number[] = [];
    const t2 = performance.now();
    await Promise.all(started.map((guest) => queue.add(async () => {
      const outcome = await runtime.stop(guest.name, shutdown, guest);
      stopTimes.push(outcome.elapsedMs);
    })));
    const stopAllMs = performance.now() - t2;
    return { guests, concurrency, startAllMs, startMedianMs: median(startTimes), observeMs, stopAllMs, stopMedianMs: median(stopTimes) };
  } finally {
    const left = await runtime.observe();
    await Promise.all(left.guests.map((g) => runtime.stop(g.name, shutdown, g)));
    await rm(stateDir, { recursive: true, force: true });
  }
}

export function formatRuntimeBench(r: RuntimeBenchResult): string[] {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  return [
    `guests ${r.guests}, concurrency ${r.concurrency}`,
    `start all ${ms(r.startAllMs)} (median per start ${ms(r.startMedianMs)}, includes the 500 ms start grace)`,
    `observe with ${r.guests} running ${ms(r.observeMs)}`,
    `stop all (power button) ${ms(r.stopAllMs)} (median per stop ${ms(r.stopMedianMs)})`,
  ];
}
