// Structured `spec.qvm` fields → qvm options (the renderer's input), each remembering its YAML node.

import type { Diagnostic } from '../model/diagnostic.js';
import { unrenderableArgument, type RenderOption } from '../qvmconf/render.js';
import { GLOBAL_OPTIONS } from '../qvmconf/vocabulary.js';
import type { Args, CpuInput, QvmInput } from './manifest-types.js';
import type { FieldPath, Position, SourceDocument } from './source-document.js';

export interface StructuredQvm {
  readonly entries: readonly RenderOption[];
  readonly simKnobs: Readonly<Record<string, string | true>>;
  /**
   * Where each option (entries and their children) was written in the manifest; looked up only
   * when a message or a file reference needs it (most options of a valid manifest never do).
   */
  readonly positions: { get(option: RenderOption): Position | undefined };
  readonly diagnostics: readonly Diagnostic[];
}

const QVM: FieldPath = ['spec', 'qvm'];

export function buildStructuredQvm(options: { doc: SourceDocument; qvm: QvmInput; name: string }): StructuredQvm {
  const { doc, qvm } = options;
  const paths = new Map<RenderOption, FieldPath>();
  const diagnostics: Diagnostic[] = [];
  const entries: RenderOption[] = [];
  const at = (path: FieldPath, option: RenderOption): RenderOption => {
    paths.set(option, path);
    return option;
  };
  const problem = (path: FieldPath, code: string, message: string): void => {
    diagnostics.push({ severity: 'error', code, file: doc.file, ...doc.locate([...QVM, ...path]), message });
  };
  const tokens = (value: Args, path: FieldPath): string[] => {
    const list = toTokens(value);
    for (const token of list) {
      if (token.startsWith('#')) problem(path, 'qvm-token', `\`${token}\` would start a comment in the .qvmconf; qvm options cannot begin with #`);
      const unrenderable = unrenderableArgument(token);
      if (unrenderable !== undefined) problem(path, 'qvm-token', `${unrenderable}: \`${token}\``);
    }
    return list;
  };
  entries.push(at(qvm.system === undefined ? [] : ['system'], { option: 'system', args: [qvm.system ?? options.name] }));
  (qvm.ram ?? []).forEach((ram, i) => entries.push(at(['ram', i], { option: 'ram', args: [ram] })));
  (qvm.rom ?? []).forEach((rom, i) => entries.push(at(['rom', i], { option: 'rom', args: [rom] })));
  (qvm.load ?? []).forEach((file, i) => entries.push(at(['load', i], { option: 'load', args: [String(file)] })));
  if (qvm.initrd !== undefined) entries.push(at(['initrd'], { option: 'load', blobType: 'initrd', args: [String(qvm.initrd)] }));
  if (qvm.cmdline !== undefined) {
    const unrenderable = unrenderableArgument(qvm.cmdline);
    if (unrenderable !== undefined) problem(['cmdline'], 'qvm-token', unrenderable);
    entries.push(at(['cmdline'], { option: 'cmdline', args: [qvm.cmdline] }));
  }
  (qvm.logger ?? []).forEach((args, i) => entries.push(at(['logger', i], { option: 'logger', args: tokens(args, ['logger', i]) })));
  if (qvm.dump !== undefined) entries.push(at(['dump'], { option: 'dump', args: [String(qvm.dump)] }));
  for (const [key, value] of Object.entries(qvm.set ?? {})) entries.push(at(['set', key], { option: 'set', args: [key, String(value)] }));
  (qvm.options ?? []).forEach((item, i) => {
    for (const [key, value] of Object.entries(item)) {
      const refusal = refuseOption(key);
      if (refusal !== undefined) {
        problem(['options', i, key], 'qvm-option', refusal);
        continue;
      }
      entries.push(at(['options', i, key], { option: key, args: tokens(value, ['options', i, key]) }));
    }
  });
  cpuEntries(qvm.cpus).forEach(({ cpu, index }) => {
    const path = index === undefined ? ['cpus'] : ['cpus', index];
    entries.push(at(path, cpu));
    for (const child of cpu.children ?? []) at([...path, child.option], child);
  });
  (qvm.vdevs ?? []).forEach((vdev, i) => {
    const children = (vdev.options ?? []).flatMap((option, j) =>
      Object.entries(option).map(([key, value]) => at(['vdevs', i, 'options', j, key], { option: key, args: tokens(value, ['vdevs', i, 'options', j, key]) })));
    entries.push(at(['vdevs', i, 'type'], { option: 'vdev', args: [vdev.type], children }));
  });
  (qvm.pass ?? []).forEach((pass, i) => {
    const children: RenderOption[] = [];
    if (pass.loc !== undefined) children.push(at(['pass', i, 'loc'], { option: 'loc', args: [String(pass.loc)] }));
    if (pass.intr !== undefined) children.push(at(['pass', i, 'intr'], { option: 'intr', args: [String(pass.intr)] }));
    entries.push(at(['pass', i], { option: 'pass', args: [], children, ...(pass.blobType === undefined ? {} : { blobType: pass.blobType }) }));
  });
  (qvm.reserve ?? []).forEach((reserve, i) => {
    const children: RenderOption[] = [];
    if (reserve.loc !== undefined) children.push(at(['reserve', i, 'loc'], { option: 'loc', args: [String(reserve.loc)] }));
    if (reserve.intr !== undefined) children.push(at(['reserve', i, 'intr'], { option: 'intr', args: [String(reserve.intr)] }));
    entries.push(at(['reserve', i], { option: 'reserve', args: [], children }));
  });
  const positions = {
    get: (option: RenderOption): Position | undefined => {
      const path = paths.get(option);
      return path === undefined ? undefined : doc.locate([...QVM, ...path]);
    },
  };
  return { entries, simKnobs: toKnobs(qvm.simulator ?? {}), positions, diagnostics };
}

// `spec.qvm.options` holds global options that have no field of their own; a context or the system
// name there would escape the structure the other fields give (docs/manifests.md).
const OWN_FIELD: Readonly<Record<string, string>> = { system: 'system', cpu: 'cpus', vdev: 'vdevs', pass: 'pass', reserve: 'reserve' };

function refuseOption(key: string): string | undefined {
  const field = OWN_FIELD[key];
  if (field !== undefined) return `\`${key}\` has its own field: use spec.qvm.${field}`;
  if (key === 'dryrun') return '`dryrun` makes qvm exit once the configuration is checked: the guest would never run';
  if (!(key in GLOBAL_OPTIONS)) return `\`${key}\` is not a global qvm option (docs/qvmconf.md lists them); options of a vdev go in its \`options\``;
  return undefined;
}

function cpuEntries(cpus: QvmInput['cpus']): { cpu: RenderOption; index: number | undefined }[] {
  if (cpus === undefined) return [];
  if (typeof cpus === 'number') return Array.from({ length: cpus }, () => ({ cpu: { option: 'cpu', args: [], children: [] }, index: undefined }));
  return cpus.map((cpu, index) => ({ cpu: { option: 'cpu', args: [], children: cpuChildren(cpu) }, index }));
}

function cpuChildren(cpu: CpuInput): RenderOption[] {
  const children: RenderOption[] = [];
  if (cpu.sched !== undefined) children.push({ option: 'sched', args: [String(cpu.sched)] });
  if (cpu.runmask !== undefined) children.push({ option: 'runmask', args: [Array.isArray(cpu.runmask) ? cpu.runmask.join(',') : String(cpu.runmask)] });
  if (cpu.cluster !== undefined) children.push({ option: 'cluster', args: [cpu.cluster] });
  return children;
}

function toTokens(value: Args): string[] {
  if (value === null) return [];
  if (typeof value === 'string') return value.split(/\s+/).filter((t) => t !== '');
  if (typeof value === 'number') return [String(value)];
  return value.map(String);
}

function toKnobs(simulator: Readonly<Record<string, string | number | boolean>>): Record<string, string | true> {
  const knobs: Record<string, string | true> = {};
  for (const [key, value] of Object.entries(simulator)) {
    if (value === true) knobs[key] = true;
    else if (value !== false) knobs[key] = String(value);
  }
  return knobs;
}
