// How a guest takes the power button (docs/shutdown.md, "The power button per guest"), from what
// qvmctl knows: the manifest's own word, else the architecture (the Host manifest's `arch`, else
// the vdevs of the guest's configuration) and the guest's OS. Pure.

import type { GuestOs, PowerButton } from '../model/guest-spec.js';
import type { HostArch } from '../model/host-spec.js';

/** Virtual devices that exist on one architecture only (docs/shutdown.md lists their sources). */
const ARCH_VDEVS: Readonly<Record<string, HostArch>> = {
  gic: 'aarch64',
  pl011: 'aarch64',
  'wdt-sp805': 'aarch64',
  ioapic: 'x86_64',
  '8259': 'x86_64',
  mc146818: 'x86_64',
  pckeyboard: 'x86_64',
  'wdt-ib700': 'x86_64',
  hpet: 'x86_64',
};

/** The architecture a configuration's vdevs imply; undefined when they name none, or both. */
export function archOfVdevs(vdevTypes: readonly string[]): HostArch | undefined {
  const found = new Set(vdevTypes.map((t) => ARCH_VDEVS[t]).filter((a): a is HostArch => a !== undefined));
  return found.size === 1 ? [...found][0] : undefined;
}

export interface PowerButtonFacts {
  readonly declared: PowerButton | undefined;
  readonly os: GuestOs | undefined;
  /** The Host manifest's `arch`. */
  readonly hostArch: HostArch | undefined;
  /** What the guest's vdevs say. */
  readonly configArch: HostArch | undefined;
}

export interface DerivedPowerButton {
  readonly powerButton: PowerButton;
  /** For people: what the behaviour was taken from. */
  readonly basis: string;
}

export function derivePowerButton(facts: PowerButtonFacts): DerivedPowerButton {
  if (facts.declared !== undefined) return { powerButton: facts.declared, basis: 'spec.shutdown.powerButton' };
  const arch = facts.hostArch ?? facts.configArch;
  const archWord = arch === undefined ? undefined : facts.hostArch !== undefined ? `${arch} host` : `${arch} guest (by its vdevs)`;
  // ARM has no standard power-button notification: the guest ends at once unless a vdev of its own
  // handles it, and then the manifest says `powerButton: graceful`.
  if (arch === 'aarch64') return { powerButton: 'abrupt', basis: `${archWord ?? 'aarch64'}: ARM has no standard power-button notification` };
  // On x86 the button is an ACPI event; QNX guests do not handle it. Where the architecture is not
  // known, a QNX guest is still not stopped by it (on ARM it would end it, on x86 ignore it).
  if (facts.os === 'qnx') return { powerButton: 'ignored', basis: `QNX guest${archWord === undefined ? '' : ` on ${archWord}`}: QNX does not handle the power-button event` };
  if (arch === 'x86_64') return { powerButton: 'graceful', basis: `${archWord ?? 'x86_64'}: an ACPI power-button event${facts.os === undefined ? '' : `, which ${facts.os === 'other' ? 'the guest is taken to handle' : `${facts.os} handles`}`}` };
  return { powerButton: 'graceful', basis: 'architecture unknown: the power button is taken to be graceful' };
}
