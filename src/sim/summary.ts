// The `dryrun` summary: what the configuration describes, one fact per line.

import { isContext, type QvmconfDocument } from '../qvmconf/ast.js';
import type { SimSettings } from './settings.js';

export function describeConfiguration(document: QvmconfDocument, settings: SimSettings): string[] {
  const lines = [`system ${settings.system}`];
  for (const entry of document.entries) {
    if (entry.option === 'system' || entry.option === 'dryrun') continue;
    const head = [entry.blobType, entry.option, ...entry.args].filter((t) => t !== undefined).join(' ');
    const children = isContext(entry) ? entry.children.map((c) => `${c.option} ${c.args.join(' ')}`.trim()) : [];
    lines.push(children.length > 0 ? `${head}: ${children.join(', ')}` : head);
  }
  if (!document.entries.some((e) => e.option === 'cpu')) lines.push('cpu (implicit: one vCPU)');
  const knobs = Object.entries(document.simKnobs).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  if (knobs.length > 0) lines.push(`qvm-sim knobs: ${knobs.join(' ')}`);
  lines.push('Exiting: dryrun completed');
  return lines;
}
