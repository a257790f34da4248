import { describe, expect, it } from 'vitest';
import { createShutdownPlan } from '../../src/planner/shutdown-plan.js';
import { buildGuestGraph } from '../../src/render/guest-graph.js';
import { renderGraphText } from '../../src/render/graph-text.js';
import { desired, guest, running } from '../planner/fixtures.js';
import { statusOf } from './status-fixture.js';

const fleet = desired([guest('svc'), guest('ivi', { dependsOn: ['svc'] }), guest('end', { dependsOn: ['ivi'], state: 'stopped' })], {
  shutdown: { command: ['shutdown'], rebootCommand: [], deadlineMs: 45_000, unmanaged: 'leave' },
});
const statuses = [statusOf('svc'), statusOf('ivi', { ready: false }), statusOf('end', { desired: 'stopped', phase: 'stopped', pid: undefined })];
const fallback = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 60_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 };

describe('renderGraphText', () => {
  it('draws the dependency graph as DOT, coloured by phase', () => {
    expect(renderGraphText(buildGuestGraph(fleet, statuses), { format: 'dot' })).toBe([
      'digraph qvmctl {',
      '  rankdir=RL;',
      '  label="qvmctl: 3 guests, an arrow points at what a guest depends on";',
      '  labelloc=t;',
      '  fontname="Helvetica";',
      '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
      '  edge [color="#546e7a"];',
      '  "end" [label="end\\ndesired stopped · stopped", fillcolor="#e0e0e0", color="#616161"];',
      '  "ivi" [label="ivi\\ndesired running · running (not ready)", fillcolor="#c8e6c9", color="#2e7d32", style="rounded,filled,dashed"];',
      '  "svc" [label="svc\\ndesired running · running", fillcolor="#c8e6c9", color="#2e7d32"];',
      '  "end" -> "ivi";',
      '  "ivi" -> "svc";',
      '}',
      '',
    ].join('\n'));
  });

  it('draws it as Mermaid with ids of its own, so a guest may be called `end`', () => {
    const text = renderGraphText(buildGuestGraph(fleet, statuses), { format: 'mermaid' });
    expect(text).toBe([
      '---',
      'title: "qvmctl: 3 guests, an arrow points at what a guest depends on"',
      '---',
      'flowchart RL',
      '  g0["end<br/>desired stopped · stopped"]',
      '  g1["ivi<br/>desired running · running (not ready)"]',
      '  g2["svc<br/>desired running · running"]',
      '  g0 --> g1',
      '  g1 --> g2',
      '  classDef stopped fill:#e0e0e0,stroke:#616161,color:#212121',
      '  class g0 stopped',
      '  classDef running fill:#c8e6c9,stroke:#2e7d32,color:#212121',
      '  class g1,g2 running',
      '  classDef dashed stroke-dasharray:5 3',
      '  class g1 dashed',
      '',
    ].join('\n'));
  });

  it('draws the stop waves with budgets, the critical path and the deadline', () => {
    const plan = createShutdownPlan({ desired: fleet, running: [running('svc'), running('ivi')], unmanaged: [{ pid: 77, processStart: '1', argv: ['qvm'] }], fallbackShutdown: fallback });
    const dot = renderGraphText(buildGuestGraph(fleet, statuses), { format: 'dot', shutdown: plan, worstCaseMs: 61_000 });
    expect(dot).toContain('label="host shutdown: 2 waves, worst case 61 s OVER the deadline of 45 s; left running: unmanaged qvm pid 77";');
    expect(dot).toContain('  subgraph cluster_wave_1 {\n    label="wave 1 (stops first)";');
    expect(dot).toContain('"ivi" [label="ivi\\npid 1003, at most 20 s", fillcolor="#c8e6c9", color="#2e7d32", penwidth=2.5];');
    expect(dot).toContain('  "ivi" -> "svc" [color="#c62828", penwidth=2.5];');
    expect(dot).not.toContain('"end"');
    const mermaid = renderGraphText(buildGuestGraph(fleet, statuses), { format: 'mermaid', shutdown: plan });
    expect(mermaid).toContain('  subgraph wave1["wave 1 (stops first)"]');
    expect(mermaid).toContain('  linkStyle 0 stroke:#c62828,stroke-width:3px');
    expect(mermaid).toContain('  class g0,g1 critical');
    // A guest without a manifest stops with the fallback ladder, drawn dashed.
    const removed = createShutdownPlan({ desired: fleet, running: [running('old')], unmanaged: [], fallbackShutdown: fallback });
    expect(renderGraphText(buildGuestGraph(fleet, statuses), { format: 'dot', shutdown: removed })).toContain('"old" [label="old\\nremoved, pid 1003, at most 60 s", fillcolor="#ffffff", color="#9e9e9e", style="rounded,filled,dashed", penwidth=2.5];');
  });

  it('escapes what DOT and Mermaid would read as syntax', () => {
    const graph = { guests: [{ name: 'a"b\\c<d>', desired: 'running' as const, phase: 'held' as const, ready: false, dependsOn: [] }], edges: [] };
    expect(renderGraphText(graph, { format: 'dot' })).toContain('"a\\"b\\\\c<d>" [label="a\\"b\\\\c<d>\\ndesired running · held"');
    expect(renderGraphText(graph, { format: 'mermaid' })).toContain('g0["a#quot;b\\c#lt;d#gt;<br/>desired running · held"]');
  });
});
