// Facts about a VM configuration that matter across guests: pass-through devices and pinned CPUs.

import type { RenderOption } from '../qvmconf/render.js';

export interface QvmFacts {
  /** Host resources the guest takes over: `pass loc` host locations and `/dev/…` vdev hostdevs
   *  (not `/dev/qvm/…`: those are other guests' virtual devices, meant to be shared). */
  readonly passthrough: readonly string[];
  /** One entry per vCPU with a runmask: the host CPUs it may run on. */
  readonly pins: readonly (readonly number[])[];
  /** The type of every `vdev`, in order (`gic`, `pl011`…): they tell the architecture. */
  readonly vdevTypes: readonly string[];
}

export function extractQvmFacts(entries: readonly RenderOption[]): QvmFacts {
  const passthrough = new Set<string>();
  const pins: number[][] = [];
  const vdevTypes: string[] = [];
  for (const entry of entries) {
    if (entry.option === 'vdev' && entry.args[0] !== undefined) vdevTypes.push(entry.args[0]);
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
  return { passthrough: [...passthrough], pins, vdevTypes };
}

const LOCATION_TYPE = /^(mem|io|pci):/;

/**
 * The host side of a `pass loc` (docs/qvmconf.md): `mem:0x1c0a0000,0x1000,rw=0x1c0a0000` →
 * `mem:0x1c0a0000`; without `=host` the guest side (mapped 1:1); `mem:` is the default type; a host
 * named with its own type keeps it (`pci:0:12.0=pci:0x8086/0x1234` → `pci:0x8086/0x1234`).
 */
export function hostLocation(loc: string): string {
  const type = LOCATION_TYPE.exec(loc)?.[1];
  const eq = loc.indexOf('=');
  if (eq !== -1) {
    const host = loc.slice(eq + 1);
    return LOCATION_TYPE.test(host) ? host : `${type ?? 'mem'}:${host}`;
  }
  const guest = type === undefined ? loc : loc.slice(type.length + 1);
  return `${type ?? 'mem'}:${guest.split(',')[0] ?? guest}`;
}
