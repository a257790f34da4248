// The `dryrun` summary: what the configuration describes, one fact per line. The options of the VM
// come first, then each context with the options that apply to it, so an option is never shown
// under a context it does not belong to (docs/qvmconf.md).

import { isContext, type QvmconfDocument, type QvmconfOption } from '../qvmconf/ast.js';
import { quoteArgument } from '../qvmconf/render.js';
import type { SimSettings } from './settings.js';

export function describeConfiguration(document: QvmconfDocument, settings: SimSettings): string[] {
  const lines = [`system ${settings.system}`];
  const entries = document.entries.filter((e) => e.option !== 'system' && e.option !== 'dryrun');
  for (const entry of entries.filter((e) => !isContext(e))) lines.push(formatOption(entry));
  for (const context of entries.filter(isContext)) {
    const head = formatOption(context);
    lines.push(context.children.length > 0 ? `${head}: ${context.children.map(formatOption).join(', ')}` : head);
  }
  if (!document.entries.some((e) => e.option === 'cpu')) lines.push('cpu (implicit: one vCPU)');
  const knobs = Object.entries(document.simKnobs).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  if (knobs.length > 0) lines.push(`qvm-sim knobs: ${knobs.join(' ')}`);
  lines.push('Exiting: dryrun completed');
  return lines;
}

function formatOption(option: QvmconfOption): string {
  return [option.blobType, option.option, ...option.args.map(quoteArgument)].filter((t) => t !== undefined).join(' ');
}
