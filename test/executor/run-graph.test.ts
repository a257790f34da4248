import { describe, expect, it } from 'vitest';
import { runGraph, type GraphNode } from '../../src/executor/run-graph.js';

interface Node extends GraphNode { readonly fail?: boolean }

// Each node resolves when the test releases it, so the order of events is fully controlled.
function controlledRunner() {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const run = (node: Node) => {
    started.push(node.id);
    return new Promise<{ ok: boolean; outcome: string }>((resolve) => {
      releases.set(node.id, () => { resolve({ ok: node.fail !== true, outcome: `${node.id}-out` }); });
    });
  };
  const release = async (id: string) => {
    for (let i = 0; i < 100 && !releases.has(id); i++) await Promise.resolve().then(() => new Promise((r) => setImmediate(r)));
    const fn = releases.get(id);
    if (fn === undefined) throw new Error(`${id} never started (started: ${started.join(',')})`);
    fn();
  };
  return { started, release, run };
}

describe('runGraph', () => {
  it('starts a node only after all its needs are done, independent nodes at once', async () => {
    const c = controlledRunner();
    const nodes: Node[] = [{ id: 'a', needs: [] }, { id: 'b', needs: [] }, { id: 'c', needs: ['a', 'b'] }];
    const done = runGraph({ nodes, run: c.run });
    await c.release('a');
    expect(c.started).toEqual(['a', 'b']);
    await c.release('b');
    await c.release('c');
    const results = await done;
    expect([...results.values()].map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it('skips everything downstream of a failure and lets other branches finish', async () => {
    const nodes: Node[] = [
      { id: 'a', needs: [], fail: true },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['b'] },
      { id: 'x', needs: [] },
    ];
    const results = await runGraph({ nodes, run: (n) => Promise.resolve({ ok: n.fail !== true, outcome: n.id }) });
    expect(results.get('a')?.status).toBe('failed');
    expect(results.get('b')).toMatchObject({ status: 'skipped', blockedBy: 'a' });
    expect(results.get('c')).toMatchObject({ status: 'skipped', blockedBy: 'b' });
    expect(results.get('x')?.status).toBe('done');
  });

  it('turns a thrown error into a failed node', async () => {
    const results = await runGraph({ nodes: [{ id: 'a', needs: [] }], run: () => Promise.reject(new Error('boom')) });
    expect(results.get('a')).toMatchObject({ status: 'failed' });
    expect(results.get('a')?.error?.message).toBe('boom');
  });

  it('honours the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const nodes = Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, needs: [] }));
    await runGraph({
      nodes,
      concurrency: 3,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return { ok: true, outcome: undefined };
      },
    });
    expect(peak).toBe(3);
  });

  it('ignores needs outside the graph and refuses cycles', async () => {
    const ok = await runGraph({ nodes: [{ id: 'a', needs: ['elsewhere'] }], run: () => Promise.resolve({ ok: true, outcome: 1 }) });
    expect(ok.get('a')?.status).toBe('done');
    await expect(runGraph({ nodes: [{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }], run: () => Promise.resolve({ ok: true, outcome: 1 }) }))
      .rejects.toThrow(/cycle among: a, b/);
  });
});
