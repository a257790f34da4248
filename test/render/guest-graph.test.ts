import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGuestGraph, layoutGuestGraph } from '../../src/render/guest-graph.js';
import { desired, guest } from '../planner/fixtures.js';
import { statusOf } from './status-fixture.js';


const cockpit = desired([
  guest('svc'),
  guest('cluster', { dependsOn: ['svc'] }),
  guest('ivi', { dependsOn: ['svc'] }),
  guest('rear-seat', { dependsOn: ['ivi'] }),
  guest('telematics', { dependsOn: ['svc', 'gone'] }),
]);

describe('buildGuestGraph', () => {
  it('has every guest of the manifests and every orphan, with its phase, and edges to known guests only', () => {
    const graph = buildGuestGraph(cockpit, [statusOf('svc'), statusOf('ivi', { phase: 'backoff', pid: undefined, ready: false }), statusOf('old', { desired: 'absent', phase: 'orphaned' })]);
    expect(graph.guests.map((g) => `${g.name}:${g.desired}:${g.phase}`)).toEqual([
      'cluster:running:unknown', 'ivi:running:backoff', 'old:absent:orphaned', 'rear-seat:running:unknown', 'svc:running:running', 'telematics:running:unknown',
    ]);
    expect(graph.edges).toEqual([
      { from: 'cluster', to: 'svc' }, { from: 'ivi', to: 'svc' }, { from: 'rear-seat', to: 'ivi' }, { from: 'telematics', to: 'svc' },
    ]);
  });
});

describe('layoutGuestGraph', () => {
  it('puts dependencies in the columns left of their dependents, and edges from a left side to a right side', () => {
    const layout = layoutGuestGraph(buildGuestGraph(cockpit, []));
    const at = new Map(layout.guests.map((g) => [g.name, g]));
    expect(Object.fromEntries(layout.guests.map((g) => [g.name, g.level]))).toEqual({ svc: 1, cluster: 2, ivi: 2, telematics: 2, 'rear-seat': 3 });
    for (const e of layout.edges) {
      const from = at.get(e.from);
      const to = at.get(e.to);
      expect(from && to && from.x > to.x + to.width).toBe(true);
      expect(e.x1).toBe(from?.x);
      expect(e.x2).toBe((to?.x ?? 0) + (to?.width ?? 0));
    }
    for (const g of layout.guests) {
      expect(g.x + g.width).toBeLessThanOrEqual(layout.width);
      expect(g.y + g.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('orders a column after its neighbours so that chains stay straight', () => {
    // Each top guest sits level with the base it depends on, whatever the names say.
    const layout = layoutGuestGraph(buildGuestGraph(desired([guest('z-base'), guest('a-base'), guest('top-z', { dependsOn: ['z-base'] }), guest('top-a', { dependsOn: ['a-base'] })]), []));
    const y = Object.fromEntries(layout.guests.map((g) => [g.name, g.y]));
    expect(y['top-a']).toBe(y['a-base']);
    expect(y['top-z']).toBe(y['z-base']);
  });

  it('is the same whatever the order of the manifests, and never overlaps two guests', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 })), { maxLength: 30 }), fc.integer(), (pairs, seed) => {
      // Edges only from a higher index to a lower one: a DAG.
      const deps = new Map<number, Set<number>>();
      for (const [a, b] of pairs) if (a > b) deps.set(a, (deps.get(a) ?? new Set()).add(b));
      const specs = Array.from({ length: 12 }, (_, i) => guest(`g${i}`, { dependsOn: [...(deps.get(i) ?? [])].map((d) => `g${d}`) }));
      const shuffled = [...specs].sort((a, b) => ((a.name.charCodeAt(1) * 31 + seed) % 7) - ((b.name.charCodeAt(1) * 31 + seed) % 7));
      const one = layoutGuestGraph(buildGuestGraph(desired(specs), []));
      expect(layoutGuestGraph(buildGuestGraph(desired(shuffled), []))).toEqual(one);
      for (const a of one.guests) {
        for (const b of one.guests) {
          if (a === b) continue;
          const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
          expect(apart).toBe(true);
        }
      }
    }), { numRuns: 50 });
  });

  it('draws an empty host as an empty picture', () => {
    expect(layoutGuestGraph(buildGuestGraph(undefined, []))).toEqual({ width: 32, height: 32, guests: [], edges: [] });
  });
});
