// `qvmctl graph`: the dependency graph of the manifests, each guest with its desired state and the
// phase a look at the host gives it, as Graphviz DOT or Mermaid; `--shutdown` draws the stop waves
// of a host shutdown instead. Read-only, like `status` and `plan`: no daemon needed, nothing written.

import { Option, type Command } from 'commander';
import { shutdownWorstCase } from '../../executor/shutdown-sequence.js';
import { createShutdownPlan, fallbackShutdown } from '../../planner/shutdown-plan.js';
import { buildGuestGraph } from '../../render/guest-graph.js';
import { renderGraphText, type GraphFormat } from '../../render/graph-text.js';
import { lookLocally } from '../local-look.js';
import { addManifestOption, addStateDirOption, type ManifestOptions, type StateDirOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';

interface GraphOptions extends ManifestOptions, StateDirOptions {
  readonly format: GraphFormat;
  readonly shutdown?: boolean;
}

export function registerGraph(program: Command, io: Output, result: CommandResult): void {
  const command = program.command('graph')
    .description('print the dependency graph with each guest\'s desired state and phase (Graphviz DOT or Mermaid)')
    .addOption(new Option('--format <format>', 'dot (Graphviz) or mermaid').choices(['dot', 'mermaid']).default('dot'))
    .option('--shutdown', 'draw the host shutdown\'s stop waves, budgets and critical path instead');
  addManifestOption(command);
  addStateDirOption(command);
  command.action(async (options: GraphOptions) => {
    const { host, guests, observation } = await lookLocally(options, io, Date.now());
    const graph = buildGuestGraph(host.desired, guests);
    if (options.shutdown === true) {
      const plan = createShutdownPlan({ desired: host.desired, running: observation.guests, unmanaged: observation.unmanaged, fallbackShutdown: fallbackShutdown(host.desired.host) });
      io.out(renderGraphText(graph, { format: options.format, shutdown: plan, worstCaseMs: shutdownWorstCase(plan).worstCaseMs }));
    } else {
      io.out(renderGraphText(graph, { format: options.format }));
    }
    result.exitCode = 0;
  });
}
