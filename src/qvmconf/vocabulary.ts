// The qvm configuration vocabulary (QNX Hypervisor 7.1 and 8.0 "VM Configuration Reference" and
// "Virtual Device Reference") as data: each option's argument count and where it may appear.

/** The kinds of context an option can open; the options that follow apply to it. */
export type QvmconfContextKind = 'cpu' | 'vdev' | 'pass' | 'reserve';

export interface OptionShape {
  /** Argument tokens that must follow the option. */
  readonly minArgs: number;
  /** Optional argument tokens taken while the next token is not itself an option. */
  readonly maxArgs: number;
  /** What each argument is, for messages: e.g. `[addr,]size`. */
  readonly usage: string;
}

export interface GlobalOptionShape extends OptionShape {
  readonly opens?: QvmconfContextKind;
  /** Needs guest memory to exist already: `ram`/`rom` must come first. */
  readonly usesGuestMemory?: boolean;
}

/** Options valid anywhere (outside or inside a context); strict: anything else outside a context is an error. */
export const GLOBAL_OPTIONS: Readonly<Record<string, GlobalOptionShape>> = {
  system: { minArgs: 1, maxArgs: 1, usage: 'system name' },
  ram: { minArgs: 1, maxArgs: 1, usage: 'ram [addr,]size' },
  rom: { minArgs: 1, maxArgs: 1, usage: 'rom addr,size' },
  cpu: { minArgs: 0, maxArgs: 0, usage: 'cpu [options]', opens: 'cpu' },
  vdev: { minArgs: 1, maxArgs: 1, usage: 'vdev type [options]', opens: 'vdev', usesGuestMemory: true },
  pass: { minArgs: 0, maxArgs: 0, usage: '[blob_type] pass [loc spec] [intr spec]', opens: 'pass', usesGuestMemory: true },
  reserve: { minArgs: 0, maxArgs: 0, usage: 'reserve [loc spec] [intr spec]', opens: 'reserve' },
  load: { minArgs: 1, maxArgs: 1, usage: '[blob_type] load [addr,]file', usesGuestMemory: true },
  logger: { minArgs: 2, maxArgs: 2, usage: 'logger filter[,filter...] destination' },
  dump: { minArgs: 1, maxArgs: 1, usage: 'dump destination' },
  set: { minArgs: 2, maxArgs: 2, usage: 'set variable value' },
  debug: { minArgs: 0, maxArgs: 1, usage: 'debug [setting]' },
  gdb: { minArgs: 1, maxArgs: 2, usage: 'gdb [paused] port' },
  unsupported: { minArgs: 2, maxArgs: 2, usage: 'unsupported instruction|reference|register abort|fail|ignore' },
  intrmap: { minArgs: 1, maxArgs: 2, usage: 'intrmap guest_intr [host_vector]' },
  tolerance: { minArgs: 1, maxArgs: 1, usage: 'tolerance value' },
  suppress: { minArgs: 1, maxArgs: 1, usage: 'suppress what' },
  generate: { minArgs: 1, maxArgs: 1, usage: 'generate what' },
  user: { minArgs: 1, maxArgs: 1, usage: 'user uid[:gid[,gid...]]' },
  dryrun: { minArgs: 0, maxArgs: 0, usage: 'dryrun' },
};

/** Tokens that may stand before `load` or `pass` and give the type of data blob it provides. */
export const BLOB_TYPES: ReadonlySet<string> = new Set(['initrd', 'fdt', 'acpi', 'data']);
export const BLOB_OPTIONS: ReadonlySet<string> = new Set(['load', 'pass']);

const LOC_INTR: Readonly<Record<string, OptionShape>> = {
  loc: { minArgs: 1, maxArgs: 1, usage: 'loc location_spec' },
  intr: { minArgs: 1, maxArgs: 1, usage: 'intr guest_intr' },
};

/** Common vdev options; vdev-specific ones vary by type and are accepted with one argument. */
const VDEV_OPTIONS: Readonly<Record<string, OptionShape>> = {
  ...LOC_INTR,
  name: { minArgs: 1, maxArgs: 1, usage: 'name vdev_name' },
  hostvector: { minArgs: 1, maxArgs: 1, usage: 'hostvector vector_number' },
  log: { minArgs: 2, maxArgs: 2, usage: 'log filter[,filter...] destination' },
  hostdev: { minArgs: 1, maxArgs: 1, usage: 'hostdev [<|>]host_path' },
  peer: { minArgs: 1, maxArgs: 1, usage: 'peer path' },
  action: { minArgs: 1, maxArgs: 1, usage: 'action [dump,]terminate|fiq|reset' },
  version: { minArgs: 1, maxArgs: 1, usage: 'version n' },
  delay: { minArgs: 1, maxArgs: 1, usage: 'delay ms' },
  delayed: { minArgs: 1, maxArgs: 1, usage: 'delayed seconds|forever' },
  options: { minArgs: 1, maxArgs: 1, usage: 'options list' },
  legacy: { minArgs: 0, maxArgs: 0, usage: 'legacy' },
};

/** Options that belong to a context, by context kind. `vdev` is permissive, the others strict. */
export const CONTEXT_OPTIONS: Readonly<Record<QvmconfContextKind, Readonly<Record<string, OptionShape>>>> = {
  cpu: {
    sched: { minArgs: 1, maxArgs: 1, usage: 'sched priority[r|f|o] or high,low,max_repl,period,budget s' },
    runmask: { minArgs: 1, maxArgs: 1, usage: 'runmask cpu{,cpu}' },
    cluster: { minArgs: 1, maxArgs: 1, usage: 'cluster name' },
    partition: { minArgs: 1, maxArgs: 1, usage: 'partition name' },
  },
  vdev: VDEV_OPTIONS,
  pass: LOC_INTR,
  reserve: LOC_INTR,
};

/** Shape assumed for a vdev option that the vocabulary does not list. */
export const UNLISTED_VDEV_OPTION: OptionShape = { minArgs: 1, maxArgs: 1, usage: 'option value' };

/** Every context-bound option name, for the "no open context" error. */
export function contextsOf(option: string): readonly QvmconfContextKind[] {
  return (Object.keys(CONTEXT_OPTIONS) as QvmconfContextKind[]).filter((kind) => option in CONTEXT_OPTIONS[kind]);
}
