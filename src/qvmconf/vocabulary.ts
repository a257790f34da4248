// The qvm configuration vocabulary as data: every option of the QNX Hypervisor 7.1 and 8.0 VM
// configuration reference, where it may appear, how many argument tokens it takes and, where the
// reference lists them, the values an argument may have. docs/qvmconf.md is the same table with the
// source of each row; test/qvmconf/vocabulary-doc.test.ts keeps the two in step.

/** The kinds of context an option can open; the options that follow apply to it. */
export type QvmconfContextKind = 'cpu' | 'vdev' | 'pass' | 'reserve';

export interface OptionShape {
  /** Argument tokens that must follow the option. */
  readonly minArgs: number;
  /** Optional argument tokens taken while the next token is on the same line and not an option. */
  readonly maxArgs: number;
  /** What each argument is, for messages: e.g. `ram [addr,]size`. */
  readonly usage: string;
  /** The values each argument may take (by position), where the reference enumerates them. */
  readonly values?: readonly (readonly string[] | undefined)[];
}

export interface GlobalOptionShape extends OptionShape {
  /** A context-opening option: it ends the context open before it and opens its own. */
  readonly opens?: QvmconfContextKind;
  /** Needs guest memory to exist already: `ram`/`rom` must come first. */
  readonly usesGuestMemory?: boolean;
}

const LOGGER_DESTINATIONS = ['stdout', 'stderr', 'slog', 'none'] as const;

/**
 * Global options: they apply to the whole VM, may appear anywhere (also inside a context, which they
 * neither end nor join), and are checked strictly: anything else outside a context is an error.
 */
export const GLOBAL_OPTIONS: Readonly<Record<string, GlobalOptionShape>> = {
  system: { minArgs: 1, maxArgs: 1, usage: 'system name' },
  ram: { minArgs: 1, maxArgs: 1, usage: 'ram [addr,]size' },
  rom: { minArgs: 1, maxArgs: 1, usage: 'rom [addr,]size' },
  cpu: { minArgs: 0, maxArgs: 0, usage: 'cpu [options]', opens: 'cpu' },
  vdev: { minArgs: 1, maxArgs: 1, usage: 'vdev type [options]', opens: 'vdev', usesGuestMemory: true },
  pass: { minArgs: 0, maxArgs: 0, usage: '[blob_type] pass [loc spec] [intr spec]', opens: 'pass', usesGuestMemory: true },
  reserve: { minArgs: 0, maxArgs: 0, usage: 'reserve [loc spec] [intr spec]', opens: 'reserve' },
  load: { minArgs: 1, maxArgs: 1, usage: '[blob_type] load [addr,]file', usesGuestMemory: true },
  cmdline: { minArgs: 1, maxArgs: 1, usage: 'cmdline "command line"' },
  logger: { minArgs: 2, maxArgs: 2, usage: 'logger filter[,filter...] stdout|stderr|slog|none', values: [undefined, LOGGER_DESTINATIONS] },
  dump: { minArgs: 1, maxArgs: 1, usage: 'dump directory|"|command"' },
  set: { minArgs: 2, maxArgs: 2, usage: 'set variable value' },
  dryrun: { minArgs: 0, maxArgs: 0, usage: 'dryrun' },
  tolerance: { minArgs: 1, maxArgs: 1, usage: 'tolerance microseconds' },
  unsupported: {
    minArgs: 2, maxArgs: 2, usage: 'unsupported instruction|reference|register abort|fail|ignore',
    values: [['instruction', 'reference', 'register'], ['abort', 'fail', 'ignore']],
  },
  safety: { minArgs: 1, maxArgs: 1, usage: 'safety none|warn|required', values: [['none', 'warn', 'required']] },
  user: { minArgs: 1, maxArgs: 1, usage: 'user uid[:gid[,gid...]]' },
  suppress: { minArgs: 1, maxArgs: 1, usage: 'suppress what' },
  generate: { minArgs: 1, maxArgs: 1, usage: 'generate what' },
  debug: { minArgs: 0, maxArgs: 1, usage: 'debug [setting]' },
  gdb: { minArgs: 1, maxArgs: 2, usage: 'gdb [paused] port' },
};

/** Tokens that may stand before `load` or `pass` and give the type of data blob it provides. */
export const BLOB_TYPES: ReadonlySet<string> = new Set(['initrd', 'fdt', 'acpi', 'data']);
export const BLOB_OPTIONS: ReadonlySet<string> = new Set(['load', 'pass']);

const LOC_INTR: Readonly<Record<string, OptionShape>> = {
  loc: { minArgs: 1, maxArgs: 1, usage: 'loc location_spec' },
  intr: { minArgs: 1, maxArgs: 1, usage: 'intr guest_intr' },
};

/** Options of the context each kind opens; the common vdev options for `vdev`. */
export const CONTEXT_OPTIONS: Readonly<Record<QvmconfContextKind, Readonly<Record<string, OptionShape>>>> = {
  cpu: {
    partition: { minArgs: 1, maxArgs: 1, usage: 'partition name' },
    runmask: { minArgs: 1, maxArgs: 1, usage: 'runmask cpu{,cpu}' },
    sched: { minArgs: 1, maxArgs: 1, usage: 'sched priority[r|f|o] or high,low,max_repl,period,budget s' },
    cluster: { minArgs: 1, maxArgs: 1, usage: 'cluster name' },
  },
  vdev: {
    ...LOC_INTR,
    hostvector: { minArgs: 1, maxArgs: 1, usage: 'hostvector vector_number' },
    log: { minArgs: 2, maxArgs: 2, usage: 'log filter[,filter...] stdout|stderr|slog|none', values: [undefined, LOGGER_DESTINATIONS] },
    name: { minArgs: 1, maxArgs: 1, usage: 'name vdev_name' },
  },
  pass: LOC_INTR,
  reserve: LOC_INTR,
};

/** A vdev-specific option: its shape and the vdev types whose reference documents it. */
export interface VdevOptionShape extends OptionShape {
  readonly vdevs: readonly string[];
}

/**
 * Options that individual vdevs document. A vdev's options vary by type (and custom vdevs add their
 * own), so these give only argument counts; an option listed nowhere is still accepted in a vdev.
 */
export const VDEV_OPTIONS: Readonly<Record<string, VdevOptionShape>> = {
  action: { minArgs: 1, maxArgs: 1, usage: 'action [dump,]terminate|fiq', vdevs: ['wdt-sp805', 'wdt-ib700'] },
  allow: { minArgs: 1, maxArgs: 1, usage: 'allow fnpattern', vdevs: ['shmem'] },
  'bind-mode': { minArgs: 1, maxArgs: 1, usage: 'bind-mode mode', vdevs: ['virtio-net'] },
  create: { minArgs: 1, maxArgs: 1, usage: 'create name,size', vdevs: ['shmem'] },
  delayed: { minArgs: 1, maxArgs: 1, usage: 'delayed seconds|forever', vdevs: ['virtio-blk'] },
  deny: { minArgs: 1, maxArgs: 1, usage: 'deny fnpattern', vdevs: ['shmem'] },
  frequency: { minArgs: 1, maxArgs: 1, usage: 'frequency hz', vdevs: ['hpet', 'wdt-sp805'] },
  hostdev: { minArgs: 1, maxArgs: 1, usage: 'hostdev [<|>]host_path', vdevs: ['virtio-blk', 'pl011'] },
  intrmap: { minArgs: 1, maxArgs: 1, usage: 'intrmap guest_intr', vdevs: ['hpet'] },
  legacy: { minArgs: 0, maxArgs: 0, usage: 'legacy', vdevs: ['virtio-blk', 'virtio-net'] },
  'legacy-free': { minArgs: 0, maxArgs: 0, usage: 'legacy-free', vdevs: ['hpet'] },
  mac: { minArgs: 1, maxArgs: 1, usage: 'mac mac_address', vdevs: ['virtio-net'] },
  peer: { minArgs: 1, maxArgs: 1, usage: 'peer path', vdevs: ['virtio-net'] },
  peerfeats: { minArgs: 1, maxArgs: 1, usage: 'peerfeats mask', vdevs: ['virtio-net'] },
  tapdev: { minArgs: 1, maxArgs: 1, usage: 'tapdev host_device_name', vdevs: ['virtio-net'] },
  version: { minArgs: 1, maxArgs: 1, usage: 'version n', vdevs: ['gic'] },
};

/** Shape assumed for a vdev option no reference lists: at most one argument, on its line. */
export const UNLISTED_VDEV_OPTION: OptionShape = { minArgs: 0, maxArgs: 1, usage: 'option [value]' };

/** The implicit context a `set` variable applies to (the `set` reference): the VM, a vCPU or a vdev. */
export type SetContext = 'global' | 'cpu' | 'vdev';

/**
 * Documented `set` variables and their implicit context. A variable listed nowhere applies to the
 * vdev being configured when one is (vdevs define their own variables), else to the VM.
 */
export const SET_VARIABLES: Readonly<Record<string, SetContext>> = {
  'counter-offset': 'global',
  debug: 'vdev',
  'exit-on-halt': 'global',
  'fdt-dump-file': 'global',
  'gic-hwassist': 'global',
  'grow-heap': 'global',
  'host-paddr-gicd': 'global',
  'host-paddr-gich': 'global',
  'legacy-free': 'global',
  'message-block-timeout': 'global',
  'posted-interrupts': 'global',
  'slog-buffer': 'global',
  'vdev-message-block-timeout': 'vdev',
  'virtual-interrupts': 'global',
};

/** The context kinds whose own options include `option` (the common vdev options for `vdev`). */
export function contextsOf(option: string): readonly QvmconfContextKind[] {
  const kinds = (Object.keys(CONTEXT_OPTIONS) as QvmconfContextKind[]).filter((kind) => option in CONTEXT_OPTIONS[kind]);
  return option in VDEV_OPTIONS && !kinds.includes('vdev') ? [...kinds, 'vdev'] : kinds;
}

/** The shape of an option inside a context of `kind`, or undefined when that context has no such option. */
export function contextOptionShape(kind: QvmconfContextKind, option: string): OptionShape | undefined {
  return CONTEXT_OPTIONS[kind][option] ?? (kind === 'vdev' ? VDEV_OPTIONS[option] : undefined);
}
