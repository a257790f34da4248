// Runs a DAG of operations with a concurrency limit: an operation starts as soon as everything it
// needs has succeeded; if a need failed or was skipped, it is skipped and so is everything after it.
// Independent branches keep going, so a failure returns a partial result instead of aborting all.

import PQueue from 'p-queue';

export interface GraphNode {
  readonly id: string;
  /** Ids of nodes that must succeed first. Unknown ids are ignored (they are not part of this run). */
  readonly needs: readonly string[];
}

export type NodeStatus = 'done' | 'failed' | 'skipped';

export interface NodeResult<Outcome> {
  readonly id: string;
  readonly status: NodeStatus;
  /** What `run` returned (done) or the failure's detail (failed); for skipped, the need that blocked. */
  readonly outcome: Outcome | undefined;
  readonly error: Error | undefined;
  readonly blockedBy: string | undefined;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
}

/** `run` resolves with an outcome and `ok: false` for an orderly failure, or throws for an unexpected one. */
export type NodeRunner<Node extends GraphNode, Outcome> = (node: Node) => Promise<{ readonly ok: boolean; readonly outcome: Outcome }>;

export interface GraphHooks<Node extends GraphNode, Outcome> {
  onStart?(node: Node): void;
  onEnd?(node: Node, result: NodeResult<Outcome>): void;
}

export interface RunGraphOptions<Node extends GraphNode, Outcome> {
  readonly nodes: readonly Node[];
  readonly run: NodeRunner<Node, Outcome>;
  /** @default Infinity */
  readonly concurrency?: number;
  readonly hooks?: GraphHooks<Node, Outcome>;
  readonly clock?: () => number;
}

export async function runGraph<Node extends GraphNode, Outcome>(
  options: RunGraphOptions<Node, Outcome>,
): Promise<ReadonlyMap<string, NodeResult<Outcome>>> {
  const { nodes, run, hooks = {}, clock = Date.now } = options;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const needs = new Map(nodes.map((node) => [node.id, node.needs.filter((id) => byId.has(id) && id !== node.id)]));
  const waiting = new Map(nodes.map((node) => [node.id, new Set(needs.get(node.id))]));
  const dependents = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  for (const [id, list] of needs) for (const need of list) dependents.get(need)?.push(id);

  const results = new Map<string, NodeResult<Outcome>>();
  const queue = new PQueue({ concurrency: options.concurrency ?? Number.POSITIVE_INFINITY });

  const finish = (node: Node, result: NodeResult<Outcome>): void => {
    results.set(node.id, result);
    hooks.onEnd?.(node, result);
    for (const next of dependents.get(node.id) ?? []) {
      if (results.has(next)) continue;
      const nextNode = byId.get(next);
      if (nextNode === undefined) continue;
      if (result.status !== 'done') {
        finish(nextNode, { id: next, status: 'skipped', outcome: undefined, error: undefined, blockedBy: node.id, startedAt: undefined, endedAt: undefined });
        continue;
      }
      const pending = waiting.get(next);
      pending?.delete(node.id);
      if (pending?.size === 0) schedule(nextNode);
    }
  };

  const schedule = (node: Node): void => {
    void queue.add(async () => {
      const startedAt = clock();
      hooks.onStart?.(node);
      try {
        const { ok, outcome } = await run(node);
        finish(node, { id: node.id, status: ok ? 'done' : 'failed', outcome, error: undefined, blockedBy: undefined, startedAt, endedAt: clock() });
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        finish(node, { id: node.id, status: 'failed', outcome: undefined, error: err, blockedBy: undefined, startedAt, endedAt: clock() });
      }
    });
  };

  assertAcyclic(nodes, needs);
  for (const node of nodes) if (needs.get(node.id)?.length === 0) schedule(node);
  await queue.onIdle();
  return results;
}

// Kahn's algorithm: whatever cannot be ordered sits on a cycle, which would otherwise hang the run.
function assertAcyclic(nodes: readonly GraphNode[], needs: ReadonlyMap<string, readonly string[]>): void {
  const remaining = new Map(nodes.map((node) => [node.id, needs.get(node.id)?.length ?? 0]));
  const users = new Map<string, string[]>();
  for (const [id, list] of needs) for (const need of list) users.set(need, [...(users.get(need) ?? []), id]);
  const ready = [...remaining].filter(([, count]) => count === 0).map(([id]) => id);
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    remaining.delete(id);
    for (const user of users.get(id) ?? []) {
      const count = (remaining.get(user) ?? 0) - 1;
      remaining.set(user, count);
      if (count === 0) ready.push(user);
    }
  }
  if (remaining.size > 0) throw new Error(`operation graph has a cycle among: ${[...remaining.keys()].sort().join(', ')}`);
}
