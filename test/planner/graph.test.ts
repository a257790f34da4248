import { describe, expect, it } from 'vitest';
import { collectDependents, computeLevels, createGraph, DependencyCycleError, findCycle, groupWaves, orderTopologically } from '../../src/planner/graph.js';

const node = (name: string, dependsOn: string[] = []) => ({ name, dependsOn });

describe('dependency graph', () => {
  const graph = createGraph([node('ivi', ['svc', 'cluster']), node('cluster', ['svc']), node('svc'), node('hud', ['ivi', 'ghost'])]);

  it('orders dependencies before dependents, ties by name', () => {
    expect(orderTopologically(graph)).toEqual(['svc', 'cluster', 'ivi', 'hud']);
  });

  it('keeps both directions and drops unknown names', () => {
    expect(graph.dependencies.get('hud')).toEqual(['ivi']);
    expect(graph.dependents.get('svc')).toEqual(['cluster', 'ivi']);
    expect(collectDependents(graph, 'svc')).toEqual(['cluster', 'hud', 'ivi']);
    expect(computeLevels(graph).get('hud')).toBe(4);
  });

  it('does not depend on input order', () => {
    const shuffled = createGraph([node('svc'), node('hud', ['ghost', 'ivi']), node('cluster', ['svc']), node('ivi', ['cluster', 'svc'])]);
    expect(orderTopologically(shuffled)).toEqual(orderTopologically(graph));
  });

  it('refuses a cycle and names it', () => {
    const cyclic = createGraph([node('a', ['b']), node('b', ['c']), node('c', ['a']), node('d')]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(() => orderTopologically(cyclic)).toThrow(DependencyCycleError);
    try {
      orderTopologically(cyclic);
    } catch (error) {
      expect(error).toMatchObject({ name: 'DependencyCycleError', cycle: ['a', 'b', 'c', 'a'] });
    }
    expect(findCycle(graph)).toBeUndefined();
  });

  it('finds a self-dependency', () => {
    expect(findCycle(createGraph([node('a', ['a'])]))).toEqual(['a', 'a']);
  });

  it('groups waves by layer', () => {
    const preds: Record<string, string[]> = { b: ['a'], c: ['a'], d: ['b', 'c'] };
    expect(groupWaves(['d', 'c', 'b', 'a'], (id) => preds[id] ?? [])).toEqual([['a'], ['b', 'c'], ['d']]);
  });
});
