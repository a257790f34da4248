// The guests' dependency graph with each guest's desired and observed state, and a layered layout
// of it for the web view (docs/ui.md): dependencies in the left columns, their dependents to the
// right, an edge from each dependent to what it depends on. Pure and deterministic: the same
// manifests and phases give the same picture.

import type { DesiredState } from '../model/host-spec.js';
import { compareNames } from '../model/order.js';
import { layerNodes } from '../planner/graph.js';
import type { GuestPhase, GuestStatus } from '../planner/guest-status.js';

/** A phase, or `unknown` before the daemon's first pass has looked. */
export type GraphPhase = GuestPhase | 'unknown';

export interface GraphGuest {
  readonly name: string;
  readonly desired: GuestStatus['desired'];
  readonly phase: GraphPhase;
  readonly ready: boolean;
  /** Dependencies that are guests of the graph, sorted. */
  readonly dependsOn: readonly string[];
}

export interface GraphEdge {
  /** The dependent. */
  readonly from: string;
  /** What it depends on. */
  readonly to: string;
}

export interface GuestGraph {
  /** Sorted by name. */
  readonly guests: readonly GraphGuest[];
  /** Sorted by dependent, then dependency. */
  readonly edges: readonly GraphEdge[];
}

/** Fill and stroke of each phase: the same in DOT, Mermaid and the page (docs/ui.md). */
export const PHASE_COLORS: Readonly<Record<GraphPhase, { readonly fill: string; readonly stroke: string }>> = {
  running: { fill: '#c8e6c9', stroke: '#2e7d32' },
  stopping: { fill: '#ffe0b2', stroke: '#e65100' },
  stopped: { fill: '#e0e0e0', stroke: '#616161' },
  pending: { fill: '#bbdefb', stroke: '#1565c0' },
  backoff: { fill: '#ffccbc', stroke: '#d84315' },
  held: { fill: '#d1c4e9', stroke: '#4527a0' },
  failed: { fill: '#ffcdd2', stroke: '#c62828' },
  stuck: { fill: '#ef9a9a', stroke: '#b71c1c' },
  orphaned: { fill: '#fff9c4', stroke: '#827717' },
  unknown: { fill: '#ffffff', stroke: '#9e9e9e' },
};

/** Every guest of the manifests, and every running guest no manifest names (orphaned), with its phase. */
export function buildGuestGraph(desired: DesiredState | undefined, statuses: readonly GuestStatus[]): GuestGraph {
  const status = new Map(statuses.map((s) => [s.name, s]));
  const specs = new Map((desired?.guests ?? []).map((g) => [g.name, g]));
  const names = [...new Set([...specs.keys(), ...status.keys()])].sort(compareNames);
  const known = new Set(names);
  const guests = names.map((name): GraphGuest => {
    const s = status.get(name);
    const spec = specs.get(name);
    return {
      name,
      desired: s?.desired ?? spec?.state ?? 'absent',
      phase: s?.phase ?? 'unknown',
      ready: s?.ready ?? false,
      dependsOn: [...new Set(spec?.dependsOn ?? [])].filter((d) => known.has(d) && d !== name).sort(compareNames),
    };
  });
  const edges = guests.flatMap((g) => g.dependsOn.map((to) => ({ from: g.name, to })));
  return { guests, edges };
}

export interface LaidOutGuest extends GraphGuest {
  /** Column: 1 for guests that depend on nothing. */
  readonly level: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LaidOutEdge extends GraphEdge {
  /** Where it leaves the dependent (its left side) … */
  readonly x1: number;
  readonly y1: number;
  /** … and where it meets the dependency (its right side). */
  readonly x2: number;
  readonly y2: number;
}

export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly guests: readonly LaidOutGuest[];
  readonly edges: readonly LaidOutEdge[];
}

const NODE_HEIGHT = 40;
const ROW_GAP = 12;
const COLUMN_GAP = 90;
const MARGIN = 16;
const MIN_WIDTH = 120;
const MAX_WIDTH = 260;
/** Width of a character of the page's 13 px label font, generously. */
const CHAR_WIDTH = 7.6;
const SWEEPS = 4;

/**
 * Columns by dependency depth; within a column, guests ordered by the mean height of their
 * neighbours (a few barycentre sweeps each way, ties by name) so that edges cross less.
 */
export function layoutGuestGraph(graph: GuestGraph): GraphLayout {
  const byName = new Map(graph.guests.map((g) => [g.name, g]));
  const dependents = new Map<string, string[]>(graph.guests.map((g) => [g.name, []]));
  for (const e of graph.edges) dependents.get(e.to)?.push(e.from);
  const levels = layerNodes(graph.guests.map((g) => g.name), (name) => byName.get(name)?.dependsOn ?? []);
  // Guests on a cycle (never in a valid desired state) go to a column of their own, last.
  const deepest = Math.max(0, ...levels.values());
  const levelOf = (name: string): number => levels.get(name) ?? deepest + 1;
  const columnCount = Math.max(0, ...graph.guests.map((g) => levelOf(g.name)));
  const columns: string[][] = Array.from({ length: columnCount }, () => []);
  for (const g of graph.guests) columns[levelOf(g.name) - 1]?.push(g.name);
  const rows = Math.max(0, ...columns.map((c) => c.length));
  const innerHeight = rows * NODE_HEIGHT + Math.max(0, rows - 1) * ROW_GAP;

  const centreY = new Map<string, number>();
  const place = (column: readonly string[]): void => {
    const height = column.length * NODE_HEIGHT + Math.max(0, column.length - 1) * ROW_GAP;
    const top = MARGIN + (innerHeight - height) / 2;
    column.forEach((name, i) => centreY.set(name, top + i * (NODE_HEIGHT + ROW_GAP) + NODE_HEIGHT / 2));
  };
  for (const column of columns) place(column);
  const reorder = (index: number, neighbours: (name: string) => readonly string[]): void => {
    const column = columns[index];
    if (column === undefined) return;
    const key = new Map(column.map((name) => {
      const ys = neighbours(name).map((n) => centreY.get(n)).filter((y): y is number => y !== undefined);
      return [name, ys.length === 0 ? (centreY.get(name) ?? 0) : ys.reduce((a, b) => a + b, 0) / ys.length];
    }));
    column.sort((a, b) => (key.get(a) ?? 0) - (key.get(b) ?? 0) || compareNames(a, b));
    place(column);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (let i = 1; i < columns.length; i++) reorder(i, (name) => byName.get(name)?.dependsOn ?? []);
    for (let i = columns.length - 2; i >= 0; i--) reorder(i, (name) => dependents.get(name) ?? []);
  }

  const widths = columns.map((column) => Math.max(MIN_WIDTH, ...column.map((name) => Math.min(MAX_WIDTH, Math.ceil(name.length * CHAR_WIDTH) + 24))));
  const lefts: number[] = [];
  let x = MARGIN;
  for (const w of widths) {
    lefts.push(x);
    x += w + COLUMN_GAP;
  }
  const laid = new Map<string, LaidOutGuest>();
  columns.forEach((column, i) => {
    for (const name of column) {
      const g = byName.get(name);
      if (g === undefined) continue;
      laid.set(name, { ...g, level: i + 1, x: lefts[i] ?? MARGIN, y: (centreY.get(name) ?? 0) - NODE_HEIGHT / 2, width: widths[i] ?? MIN_WIDTH, height: NODE_HEIGHT });
    }
  });
  const edges = graph.edges.flatMap((e): LaidOutEdge[] => {
    const from = laid.get(e.from);
    const to = laid.get(e.to);
    if (from === undefined || to === undefined) return [];
    return [{ ...e, x1: from.x, y1: from.y + from.height / 2, x2: to.x + to.width, y2: to.y + to.height / 2 }];
  });
  return {
    width: columns.length === 0 ? 2 * MARGIN : x - COLUMN_GAP + MARGIN,
    height: innerHeight + 2 * MARGIN,
    guests: graph.guests.map((g) => laid.get(g.name)).filter((g): g is LaidOutGuest => g !== undefined),
    edges,
  };
}
