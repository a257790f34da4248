// Checks across manifests: names, dependencies, and host resources two guests would both claim.

import type { Diagnostic, Severity } from '../model/diagnostic.js';
import type { NormalizedGuest } from './normalize-guest.js';
import type { FieldPath, SourceDocument } from './source-document.js';

/** Any Guest document with a usable name, valid or not (so a broken manifest still owns its name). */
export interface GuestRef {
  readonly name: string;
  readonly doc: SourceDocument;
}

export function checkAcrossGuests(options: { refs: readonly GuestRef[]; guests: readonly NormalizedGuest[] }): Diagnostic[] {
  return [
    ...checkDuplicateNames(options.refs),
    ...checkDependencies(options),
    ...checkCycles(options.guests),
    ...checkShared(options.guests),
  ];
}

function at(doc: SourceDocument, path: FieldPath, code: string, message: string, options: { target?: 'key' | 'value'; severity?: Severity } = {}): Diagnostic {
  return { severity: options.severity ?? 'error', code, file: doc.file, ...doc.locate(path, options.target ?? 'value'), message };
}

function where(doc: SourceDocument, path: FieldPath): string {
  const pos = doc.locate(path);
  return `${doc.file}:${pos.line}:${pos.col}`;
}

function checkDuplicateNames(refs: readonly GuestRef[]): Diagnostic[] {
  const byName = groupBy(refs, (r) => r.name);
  return [...byName.values()].filter((group) => group.length > 1).flatMap((group) =>
    group.map((ref) => {
      const others = group.filter((o) => o !== ref).map((o) => where(o.doc, ['metadata', 'name'])).join(', ');
      return at(ref.doc, ['metadata', 'name'], 'duplicate-name', `duplicate guest name \`${ref.name}\` (also at ${others})`);
    }));
}

function checkDependencies(options: { refs: readonly GuestRef[]; guests: readonly NormalizedGuest[] }): Diagnostic[] {
  const known = new Set(options.refs.map((r) => r.name));
  return options.guests.flatMap(({ spec, doc }) =>
    spec.dependsOn.flatMap((dep, i) => {
      if (known.has(dep)) return [];
      return [at(doc, ['spec', 'dependsOn', i], 'unknown-dependency', `\`${spec.name}\` depends on \`${dep}\`, but no guest has that name`)];
    }));
}

// Every cycle once, named from its alphabetically first guest: `a → b → c → a`.
function checkCycles(guests: readonly NormalizedGuest[]): Diagnostic[] {
  const byName = new Map(guests.map((g) => [g.spec.name, g]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.spec.dependsOn ?? []) {
      if (!byName.has(dep)) continue;
      if (state.get(dep) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(dep));
        const start = cycle.indexOf([...cycle].sort()[0] ?? dep);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(rotated.join(' '), rotated);
      } else if (state.get(dep) === undefined) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of [...byName.keys()].sort()) if (state.get(name) === undefined) visit(name);
  return [...found.values()].map((cycle) => {
    const first = byName.get(cycle[0] ?? '');
    const next = cycle[1] ?? cycle[0] ?? '';
    const index = first?.spec.dependsOn.indexOf(next) ?? 0;
    const text = [...cycle, cycle[0]].join(' → ');
    return first === undefined
      ? { severity: 'error' as const, code: 'dependency-cycle', file: '', message: `dependency cycle: ${text}` }
      : at(first.doc, ['spec', 'dependsOn', index], 'dependency-cycle', `dependency cycle: ${text}`);
  });
}

// Pass-through devices, system names and exclusively pinned CPUs belong to one guest only.
function checkShared(guests: readonly NormalizedGuest[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const qvmKey: FieldPath = ['spec', 'qvm'];
  const claims = (key: (g: NormalizedGuest) => readonly string[], describe: (value: string, names: string) => string, code: string, severity: Severity = 'error'): void => {
    const owners = new Map<string, NormalizedGuest[]>();
    for (const g of guests) for (const value of new Set(key(g))) owners.set(value, [...(owners.get(value) ?? []), g]);
    for (const [value, group] of owners) {
      if (new Set(group.map((g) => g.spec.name)).size < 2) continue; // duplicate names are reported as such
      const names = group.map((g) => `\`${g.spec.name}\``).join(', ');
      for (const g of group) out.push(at(g.doc, qvmKey, code, describe(value, names), { target: 'key', severity }));
    }
  };
  claims((g) => g.spec.passthrough, (dev, names) => `host device \`${dev}\` is passed through to more than one guest: ${names}`, 'shared-device');
  claims((g) => [g.spec.system], (system, names) => `qvm system name \`${system}\` is used by more than one guest: ${names}`, 'duplicate-system');
  claims((g) => exclusiveCpus(g), (cpu, names) => `host CPU ${cpu} is pinned exclusively (runmask of one CPU) by more than one guest: ${names}`, 'shared-cpu');
  for (const g of guests) {
    for (const cpu of exclusiveCpus(g)) {
      const sharers = guests.filter((o) => o !== g && o.facts.pins.some((mask) => mask.length > 1 && mask.includes(Number(cpu))));
      if (sharers.length === 0) continue;
      const names = sharers.map((o) => `\`${o.spec.name}\``).join(', ');
      out.push(at(g.doc, qvmKey, 'shared-cpu', `host CPU ${cpu} is pinned exclusively by \`${g.spec.name}\` but also in the runmask of ${names}`, { target: 'key', severity: 'warning' }));
    }
  }
  return out;
}

function exclusiveCpus(guest: NormalizedGuest): string[] {
  return guest.facts.pins.filter((mask) => mask.length === 1).map((mask) => String(mask[0]));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}
