// The guest dependency graph: one graph serves both directions (start after dependencies, stop
// after dependents). Every list is sorted by name so results never depend on input order.
import { compareNames } from '../model/order.js';

export interface GraphNode {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

export interface DependencyGraph {
  /** Every node, sorted by name. */
  readonly names: readonly string[];
  /** Direct dependencies that are nodes of the graph (unknown names are left out), sorted. */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** Direct dependents, sorted. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
}

export class DependencyCycleError extends Error {
  override readonly name = 'DependencyCycleError';
  /** The guests on the cycle, in dependency order, the first repeated at the end (`a → b → a`). */
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super(`Dependency cycle: ${cycle.join(' → ')}`);
    this.cycle = cycle;
  }
}

const byName = compareNames;

// Builds the graph; duplicate names keep their first node, edges to unknown names are dropped.
export function createGraph(nodes: readonly GraphNode[]): DependencyGraph {
  const known = new Map<string, GraphNode>();
  for (const node of nodes) if (!known.has(node.name)) known.set(node.name, node);
  const names = [...known.keys()].sort(byName);
  const dependencies = new Map<string, string[]>();
  const dependents = new Map<string, string[]>(names.map((name) => [name, []]));
  for (const name of names) {
    const deps = [...new Set(known.get(name)?.dependsOn ?? [])].filter((dep) => known.has(dep)).sort(byName);
    dependencies.set(name, deps);
    for (const dep of deps) dependents.get(dep)?.push(name);
  }
  return { names, dependencies, dependents };
}

// Layer of each node: 1 for no dependencies, else 1 + the deepest dependency. Throws on a cycle.
export function computeLevels(graph: DependencyGraph): ReadonlyMap<string, number> {
  const levels = layerNodes(graph.names, (name) => graph.dependencies.get(name) ?? []);
  if (levels.size < graph.names.length) throw new DependencyCycleError(findCycle(graph) ?? []);
  return levels;
}

// Dependencies before dependents; ties (same layer) by name. Throws DependencyCycleError.
export function orderTopologically(graph: DependencyGraph): readonly string[] {
  const levels = computeLevels(graph);
  return [...graph.names].sort((a, b) => (levels.get(a) ?? 0) - (levels.get(b) ?? 0) || byName(a, b));
}

// Returns one cycle (first name repeated at the end), or undefined when the graph is a DAG.
export function findCycle(graph: DependencyGraph): readonly string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const root of graph.names) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 'open');
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const deps = graph.dependencies.get(top.name) ?? [];
      const dep = deps[top.next];
      top.next += 1;
      if (dep === undefined) {
        state.set(top.name, 'done');
        stack.pop();
        path.pop();
      } else if (state.get(dep) === 'open') {
        return [...path.slice(path.indexOf(dep)), dep];
      } else if (!state.has(dep)) {
        state.set(dep, 'open');
        path.push(dep);
        stack.push({ name: dep, next: 0 });
      }
    }
  }
  return undefined;
}

// Every node that depends on `name`, directly or not, sorted.
export function collectDependents(graph: DependencyGraph, name: string): readonly string[] {
  return collectReachable(graph.dependents, name);
}

// Every node `name` depends on, directly or not, sorted.
export function collectDependencies(graph: DependencyGraph, name: string): readonly string[] {
  return collectReachable(graph.dependencies, name);
}

function collectReachable(edges: ReadonlyMap<string, readonly string[]>, name: string): readonly string[] {
  const seen = new Set<string>();
  const queue = [...(edges.get(name) ?? [])];
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
    if (seen.has(item)) continue;
    seen.add(item);
    queue.push(...(edges.get(item) ?? []));
  }
  return [...seen].sort(byName);
}

// Kahn layering over any id set: level 1 has no predecessors inside the set. Ids on a cycle get no level.
export function layerNodes(ids: readonly string[], predecessors: (id: string) => readonly string[]): Map<string, number> {
  const members = new Set(ids);
  const pending = new Map<string, number>();
  const successors = new Map<string, string[]>();
  for (const id of members) {
    const preds = predecessors(id).filter((p) => members.has(p) && p !== id);
    pending.set(id, preds.length);
    for (const pred of preds) {
      const list = successors.get(pred);
      if (list === undefined) successors.set(pred, [id]);
      else list.push(id);
    }
  }
  const levels = new Map<string, number>();
  let frontier = [...members].filter((id) => pending.get(id) === 0);
  for (let level = 1; frontier.length > 0; level += 1) {
    const next: string[] = [];
    for (const id of frontier) {
      levels.set(id, level);
      for (const succ of successors.get(id) ?? []) {
        const left = (pending.get(succ) ?? 0) - 1;
        pending.set(succ, left);
        if (left === 0) next.push(succ);
      }
    }
    frontier = next;
  }
  return levels;
}

// Groups ids into parallel waves by their layer (see layerNodes), each wave sorted by name.
export function groupWaves(ids: readonly string[], predecessors: (id: string) => readonly string[]): string[][] {
  const levels = layerNodes(ids, predecessors);
  const waves: string[][] = [];
  for (const [id, level] of levels) {
    const wave = waves[level - 1] ?? [];
    wave.push(id);
    waves[level - 1] = wave;
  }
  return waves.map((wave) => wave.sort(byName));
}
