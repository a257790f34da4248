// Facts about a VM configuration that matter across guests: pass-through devices and pinned CPUs.

import type { RenderOption } from '../qvmconf/render.js';

export interface QvmFacts {
  /** Host resources the guest takes over: `pass loc` host locations and `/dev/…` vdev hostdevs
   *  (not `/dev/qvm/…`: those are other guests' virtual devices, meant to be shared). */
  readonly passthrough: readonly string[];
  /** One entry per vCPU with a runmask: the host CPUs it may run on. */
  readonly pins: readonly (readonly number[])[];
}

export function extractQvmFacts(entries: readonly RenderOption[]): QvmFacts {
  const passthrough = new Set<string>();
  const pins: number[][] = [];
  for (const entry of entries) {
    for (const child of entry.children ?? []) {
      const value = child.args[0];
      if (value === undefined) continue;
      if (entry.option === 'pass' && child.option === 'loc') passthrough.add(hostLocation(value));
      if (entry.option === 'vdev' && child.option === 'hostdev') {
        const path = value.replace(/^[<>]/, '');
        if (path.startsWith('/dev/') && !path.startsWith('/dev/qvm/')) passthrough.add(path);
      }
      if (entry.option === 'cpu' && child.option === 'runmask') {
        pins.push(value.split(',').map(Number).filter((n) => Number.isInteger(n)));
      }
    }
  }
  return { passthrough: [...passthrough], pins };
}

/** `mem:0x1c0a0000,0x1000,rw=0x1c0a0000` → `mem:0x1c0a0000` (host side when mapped, else the guest side). */
function hostLocation(loc: string): string {
  const eq = loc.indexOf('=');
  if (eq !== -1) {
    const kind = loc.split(':')[0] ?? '';
    return `${kind}:${loc.slice(eq + 1)}`;
  }
  return loc.split(',')[0] ?? loc;
}
