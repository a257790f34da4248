// The dependency graph as SVG, from the daemon's layout: dependencies on the left, an arrow from a
// guest to each guest it depends on, each box coloured by its phase.
import { svg } from './dom.js';
import type { GraphPart } from './view.js';

export function renderGraph(container: HTMLElement, graph: GraphPart, selected: string | null): void {
  if (graph.guests.length === 0) {
    container.replaceChildren(document.createTextNode('No guests yet: the daemon has not loaded valid manifests.'));
    return;
  }
  const root = svg('svg', { class: 'graph', width: graph.width, height: graph.height, viewBox: `0 0 ${graph.width} ${graph.height}`, role: 'img', 'aria-label': 'dependency graph' },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const edges = svg('g', { class: 'edges' });
  for (const e of graph.edges) {
    const bend = Math.max(24, (e.x1 - e.x2) / 2);
    edges.append(svg('path', {
      class: 'edge', 'data-from': e.from, 'data-to': e.to, 'marker-end': 'url(#arrow)',
      d: `M ${e.x1} ${e.y1} C ${e.x1 - bend} ${e.y1}, ${e.x2 + bend} ${e.y2}, ${e.x2} ${e.y2}`,
    }, svg('title', {}, `${e.from} depends on ${e.to}`)));
  }
  const nodes = svg('g', { class: 'nodes' });
  for (const n of graph.guests) {
    const dashed = (n.phase === 'running' && !n.ready) || n.desired === 'absent';
    const state = `${n.phase}${n.phase === 'running' && !n.ready ? ' (not ready)' : ''}`;
    nodes.append(svg('g', { class: `node phase-${n.phase}${dashed ? ' dashed' : ''}${n.name === selected ? ' selected' : ''}`, 'data-guest': n.name, 'data-phase': n.phase, transform: `translate(${n.x} ${n.y})`, tabindex: 0 },
      svg('title', {}, `${n.name}: desired ${n.desired}, ${state}${n.dependsOn.length === 0 ? '' : `; depends on ${n.dependsOn.join(', ')}`}`),
      svg('rect', { width: n.width, height: n.height, rx: 6, ry: 6 }),
      svg('text', { x: 10, y: 16, class: 'label' }, n.name),
      svg('text', { x: 10, y: 31, class: 'sub' }, `${n.desired === 'running' ? '' : `${n.desired} · `}${state}`)));
  }
  root.append(edges, nodes);
  container.replaceChildren(root);
}
