// `qvmctl graph`: the dependency graph of the manifests, each guest with its desired state and the
// phase a look at the host gives it, as Graphviz DOT or Mermaid; `--shutdown` draws the stop waves
// of a host shutdown instead. Read-only, like `status` and `plan`: no daemon needed, nothing written.

import { Option, type Command } from 'commander';
import { shutdownWorstCase } from '../../executor/shutdown-sequence.js';
import { createShutdownPlan, fallbackShutdown } from '../../planner/shutdown-plan.js';
import { buildGuestGraph } from '../../render/guest-graph.js';
import { renderGraphText, type GraphFormat } from '../../render/graph-text.js';
import { lookLocally } from '../local-look.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';

interface GraphOptions extends ManifestOptions, StateDirOptions, OutputOptions {
  readonly format: GraphFormat;
  readonly shutdown?: boolean;
}

export function registerGraph(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('graph')
    .description('print the dependency graph with each guest\'s desired state and phase (Graphviz DOT or Mermaid)')
    .addOption(new Option('--format <format>', 'dot (Graphviz) or mermaid').choices(['dot', 'mermaid']).default('dot'))
    .option('--shutdown', 'draw the host shutdown\'s stop waves, budgets and critical path instead');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (options: GraphOptions) => {
    const { host, guests, observation } = await lookLocally(options, io, Date.now());
    const graph = buildGuestGraph(host.desired, guests);
    const plan = options.shutdown === true
      ? createShutdownPlan({ desired: host.desired, running: observation.guests, unmanaged: observation.unmanaged, fallbackShutdown: fallbackShutdown(host.desired.host) })
      : undefined;
    result.exitCode = 0;
    if (options.output === 'json') {
      // The graph itself; `--format` draws it, JSON hands it over (with the shutdown plan if asked).
      io.document('Graph', { ...graph, shutdown: plan === undefined ? null : { ...plan, ...shutdownWorstCase(plan) } });
    } else if (plan !== undefined) {
      io.out(renderGraphText(graph, { format: options.format, shutdown: plan, worstCaseMs: shutdownWorstCase(plan).worstCaseMs }));
    } else {
      io.out(renderGraphText(graph, { format: options.format }));
    }
  });
}
