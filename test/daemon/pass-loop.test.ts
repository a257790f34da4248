// The pass loop alone: single-flight, at most one pending pass, debounced bursts, requeue timers.
import { describe, expect, it } from 'vitest';
import { createPassLoop, type PassOutcome, type Trigger } from '../../src/daemon/pass-loop.js';
import { waitFor } from '../helpers/wait-for.js';

interface Probe {
  readonly calls: (readonly Trigger[])[];
  active: number;
  maxActive: number;
  release: (() => void) | undefined;
}

function controlledPass(probe: Probe, outcome: () => PassOutcome = () => ({ requeueAt: undefined })) {
  return async (triggers: readonly Trigger[]): Promise<PassOutcome> => {
    probe.calls.push(triggers);
    probe.active++;
    probe.maxActive = Math.max(probe.maxActive, probe.active);
    await new Promise<void>((resolve) => { probe.release = resolve; });
    probe.active--;
    return outcome();
  };
}

const newProbe = (): Probe => ({ calls: [], active: 0, maxActive: 0, release: undefined });

describe('createPassLoop', () => {
  it('runs one pass at a time and coalesces every request during a pass into one more', async () => {
    const probe = newProbe();
    const loop = createPassLoop({ runPass: controlledPass(probe), now: Date.now, intervalMs: () => 600_000, debounceMs: () => 10 });
    loop.request('startup');
    await waitFor(() => probe.calls.length === 1);
    loop.request('exit');
    loop.request('exit');
    loop.request('resync');
    probe.release?.();
    await waitFor(() => probe.calls.length === 2);
    expect(probe.calls[1]).toEqual(['exit', 'resync']);
    probe.release?.();
    await loop.idle();
    expect(probe.calls).toHaveLength(2);
    expect(probe.maxActive).toBe(1);
    await loop.stop();
  });

  it('turns a burst of debounced requests into one pass', async () => {
    const probe = newProbe();
    const loop = createPassLoop({ runPass: controlledPass(probe), now: Date.now, intervalMs: () => 600_000, debounceMs: () => 50 });
    for (let i = 0; i < 20; i++) loop.requestDebounced('manifest');
    await waitFor(() => probe.calls.length === 1);
    expect(probe.calls[0]).toEqual(['manifest']);
    probe.release?.();
    await loop.idle();
    expect(probe.calls).toHaveLength(1);
    await loop.stop();
  });

  it('runs again when the plan asks for a requeue', async () => {
    const probe = newProbe();
    let first = true;
    const loop = createPassLoop({
      runPass: controlledPass(probe, () => {
        const requeueAt = first ? Date.now() + 30 : undefined;
        first = false;
        return { requeueAt };
      }),
      now: Date.now,
      intervalMs: () => 600_000,
      debounceMs: () => 10,
    });
    loop.request('startup');
    await waitFor(() => probe.calls.length === 1);
    probe.release?.();
    await waitFor(() => probe.calls.length === 2);
    expect(probe.calls[1]).toEqual(['requeue']);
    probe.release?.();
    await loop.stop();
  });

  it('takes no requests after stop and waits for the pass under way', async () => {
    const probe = newProbe();
    const loop = createPassLoop({ runPass: controlledPass(probe), now: Date.now, intervalMs: () => 600_000, debounceMs: () => 10 });
    loop.request('startup');
    await waitFor(() => probe.calls.length === 1);
    loop.request('exit');
    let stopped = false;
    const stopping = loop.stop().then(() => { stopped = true; });
    expect(stopped).toBe(false);
    probe.release?.();
    await stopping;
    loop.request('manual');
    expect(probe.calls).toHaveLength(1);
  });
});
