// `qvmctl graph`: the dependency graph as Graphviz DOT or Mermaid text, each guest coloured by its
// phase; with a shutdown plan, the stop waves instead (docs/ui.md, "qvmctl graph"). Edges go from a
// dependent to what it depends on, as `terraform graph` draws them; dependencies sit on the left.

import type { ShutdownPlan } from '../planner/shutdown-plan.js';
import { PHASE_COLORS, type GraphPhase, type GuestGraph } from './guest-graph.js';

export type GraphFormat = 'dot' | 'mermaid';

export interface GraphTextOptions {
  readonly format: GraphFormat;
  /** Draw the stop waves of this plan: only the qvm processes it stops, wave by wave. */
  readonly shutdown?: ShutdownPlan;
  /** The worst case a dry run shows (the pass-lock wait included), for the title. */
  readonly worstCaseMs?: number;
}

interface TextNode {
  readonly id: string;
  readonly lines: readonly string[];
  readonly phase: GraphPhase;
  /** Drawn dashed: runs but not ready, or not managed by a manifest. */
  readonly dashed: boolean;
  /** On the shutdown's critical path: drawn bold. */
  readonly critical: boolean;
}

interface TextEdge {
  readonly from: string;
  readonly to: string;
  readonly critical: boolean;
}

interface TextGraph {
  readonly title: string;
  readonly nodes: readonly TextNode[];
  readonly edges: readonly TextEdge[];
  /** Node ids per cluster (the stop waves), in order; empty for the dependency view. */
  readonly clusters: readonly { readonly label: string; readonly ids: readonly string[] }[];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

export function renderGraphText(graph: GuestGraph, options: GraphTextOptions): string {
  const model = options.shutdown === undefined ? dependencyView(graph) : shutdownView(graph, options.shutdown, options.worstCaseMs);
  return options.format === 'dot' ? toDot(model) : toMermaid(model);
}

function dependencyView(graph: GuestGraph): TextGraph {
  return {
    title: `qvmctl: ${graph.guests.length} guest${graph.guests.length === 1 ? '' : 's'}, an arrow points at what a guest depends on`,
    nodes: graph.guests.map((g) => ({
      id: g.name,
      lines: [g.name, `desired ${g.desired} · ${g.phase}${g.phase === 'running' && !g.ready ? ' (not ready)' : ''}`],
      phase: g.phase,
      dashed: (g.phase === 'running' && !g.ready) || g.desired === 'absent',
      critical: false,
    })),
    edges: graph.edges.map((e) => ({ ...e, critical: false })),
    clusters: [],
  };
}

function shutdownView(graph: GuestGraph, plan: ShutdownPlan, worstCaseMs: number | undefined): TextGraph {
  const phases = new Map(graph.guests.map((g) => [g.name, g.phase]));
  const critical = new Set(plan.criticalPath.flatMap((name, i) => {
    const next = plan.criticalPath[i + 1];
    return next === undefined ? [] : [`${name}\u0000${next}`];
  }));
  const steps = plan.waves.flat();
  const worst = worstCaseMs ?? plan.criticalPathMs;
  const verdict = worst <= plan.deadlineMs ? 'within' : 'OVER';
  const lines = [`host shutdown: ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}, worst case ${seconds(worst)} ${verdict} the deadline of ${seconds(plan.deadlineMs)}`];
  if (steps.length === 0) lines.push('no qvm process to stop');
  for (const p of plan.left) lines.push(`left running: unmanaged qvm pid ${p.pid}`);
  for (const p of plan.refused) lines.push(`refused: unmanaged qvm pid ${p.pid}`);
  return {
    title: lines.join('; '),
    nodes: steps.map((s) => ({
      id: s.guest,
      lines: [s.guest, `${s.kind === 'managed' ? '' : `${s.kind}, `}pid ${s.pid}, at most ${seconds(s.budgetMs)}`],
      phase: phases.get(s.guest) ?? (s.kind === 'unmanaged' ? 'orphaned' : 'unknown'),
      dashed: s.kind !== 'managed',
      critical: plan.criticalPath.includes(s.guest),
    })),
    // The stop order: a dependency stops after its dependents, so the edges are the dependency's `after`.
    edges: steps.flatMap((s) => s.after.map((dependent) => ({ from: dependent, to: s.guest, critical: critical.has(`${dependent}\u0000${s.guest}`) }))),
    clusters: plan.waves.map((wave, i) => ({ label: `wave ${i + 1}${i === 0 ? ' (stops first)' : ''}`, ids: wave.map((s) => s.guest) })),
  };
}

// DOT: double-quoted IDs with `"` and `\` escaped; `\n` in a label is a line break (Graphviz's own).
const dotString = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

function toDot(g: TextGraph): string {
  const out = [
    'digraph qvmctl {',
    '  rankdir=RL;',
    `  label=${dotString(g.title)};`,
    '  labelloc=t;',
    '  fontname="Helvetica";',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
    '  edge [color="#546e7a"];',
  ];
  const node = (n: TextNode, indent: string): string => {
    const c = PHASE_COLORS[n.phase];
    const style = `${n.dashed ? ', style="rounded,filled,dashed"' : ''}${n.critical ? ', penwidth=2.5' : ''}`;
    return `${indent}${dotString(n.id)} [label=${dotString(n.lines.join('\n')).replaceAll('\n', '\\n')}, fillcolor="${c.fill}", color="${c.stroke}"${style}];`;
  };
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  g.clusters.forEach((cluster, i) => {
    out.push(`  subgraph cluster_wave_${i + 1} {`, `    label=${dotString(cluster.label)};`, '    style="rounded,dashed";', '    color="#90a4ae";');
    for (const id of cluster.ids) {
      const n = byId.get(id);
      if (n !== undefined) out.push(node(n, '    '));
    }
    out.push('  }');
  });
  const clustered = new Set(g.clusters.flatMap((c) => c.ids));
  for (const n of g.nodes) if (!clustered.has(n.id)) out.push(node(n, '  '));
  for (const e of g.edges) out.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${e.critical ? ' [color="#c62828", penwidth=2.5]' : ''};`);
  out.push('}');
  return `${out.join('\n')}\n`;
}

// Mermaid: ids of our own (a guest may be called `end`, a Mermaid keyword), labels in double
// quotes with `"` as the entity `#quot;`, `<br/>` for a line break.
const mermaidLabel = (lines: readonly string[]): string => `"${lines.map((l) => l.replaceAll('"', '#quot;').replaceAll('<', '#lt;').replaceAll('>', '#gt;')).join('<br/>')}"`;

function toMermaid(g: TextGraph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `g${i}`]));
  const out = ['---', `title: ${JSON.stringify(g.title)}`, '---', 'flowchart RL'];
  const node = (n: TextNode, indent: string): string => `${indent}${ids.get(n.id) ?? ''}[${mermaidLabel(n.lines)}]`;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  g.clusters.forEach((cluster, i) => {
    out.push(`  subgraph wave${i + 1}[${mermaidLabel([cluster.label])}]`);
    for (const id of cluster.ids) {
      const n = byId.get(id);
      if (n !== undefined) out.push(node(n, '    '));
    }
    out.push('  end');
  });
  const clustered = new Set(g.clusters.flatMap((c) => c.ids));
  for (const n of g.nodes) if (!clustered.has(n.id)) out.push(node(n, '  '));
  for (const e of g.edges) out.push(`  ${ids.get(e.from) ?? ''} --> ${ids.get(e.to) ?? ''}`);
  const phases = [...new Set(g.nodes.map((n) => n.phase))];
  for (const phase of phases) {
    const c = PHASE_COLORS[phase];
    out.push(`  classDef ${phase} fill:${c.fill},stroke:${c.stroke},color:#212121`);
    out.push(`  class ${g.nodes.filter((n) => n.phase === phase).map((n) => ids.get(n.id) ?? '').join(',')} ${phase}`);
  }
  const dashed = g.nodes.filter((n) => n.dashed).map((n) => ids.get(n.id) ?? '');
  if (dashed.length > 0) out.push(`  classDef dashed stroke-dasharray:5 3`, `  class ${dashed.join(',')} dashed`);
  const bold = g.nodes.filter((n) => n.critical).map((n) => ids.get(n.id) ?? '');
  if (bold.length > 0) out.push('  classDef critical stroke-width:3px', `  class ${bold.join(',')} critical`);
  const critical = g.edges.flatMap((e, i) => (e.critical ? [i] : []));
  if (critical.length > 0) out.push(`  linkStyle ${critical.join(',')} stroke:#c62828,stroke-width:3px`);
  return `${out.join('\n')}\n`;
}
