// The beat's batcher (runtime/ssh/host-beat.ts): a pure scheduler, tested without a host.
import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/runtime/ssh/host-beat.js';

describe('createBatcher', () => {
  it('puts requests made together into one batch, and those made while it runs into the next', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const beat = createBatcher<number, number>(async (requests) => {
      batches.push([...requests]);
      if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return requests.map((r) => r * 10);
    });
    const first = Promise.all([beat(1), beat(2)]);
    await new Promise((resolve) => setImmediate(resolve));
    const second = Promise.all([beat(3), beat(4), beat(5)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
    release?.();
    expect(await first).toEqual([10, 20]);
    expect(await second).toEqual([30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('fails every request of a batch whose run failed, and goes on with the next', async () => {
    let calls = 0;
    const beat = createBatcher<number, number>((requests) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('link lost')) : Promise.resolve(requests);
    });
    const results = await Promise.allSettled([beat(1), beat(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await beat(3)).toBe(3);
  });
});
