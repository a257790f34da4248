// The parsed form of a qvm configuration (`*.qvmconf`): the real syntax is a token stream in which
// `cpu`, `vdev`, `pass` and `reserve` open a context whose options follow until the next
// context-opening option; global options between them belong to the VM (docs/qvmconf.md).
// Shared by the manifest layer (checks, round trips) and the simulator (which must accept what qvm
// accepts and reject what it rejects).

/** One option with its arguments, e.g. `ram 0x80000000,128M` → { option: 'ram', args: ['0x80000000,128M'] }. */
export interface QvmconfOption {
  readonly option: string;
  readonly args: readonly string[];
  readonly file: string;
  /** 1-based position of the option keyword. */
  readonly line: number;
  readonly col: number;
  /** Data blob type written before `load` or `pass`, e.g. `initrd` in `initrd load /boot/initrd.img`. */
  readonly blobType?: string;
}

/**
 * A context-opening option (`cpu …`, `vdev TYPE`, `pass`, `reserve`) and the options that apply to it,
 * in order. A `set` is one of them when its variable applies to that vCPU or vdev; a global option
 * written inside a context is a top-level entry, not one of its children.
 */
export interface QvmconfContext extends QvmconfOption {
  readonly option: 'cpu' | 'vdev' | 'pass' | 'reserve';
  readonly children: readonly QvmconfOption[];
}

export type QvmconfEntry = QvmconfOption | QvmconfContext;

export interface QvmconfDocument {
  /** Top-level entries (global options and contexts) in file order; `@file` includes are spliced in where they appear. */
  readonly entries: readonly QvmconfEntry[];
  /** Value of `system`, when present (it must be the first entry). */
  readonly system: string | undefined;
  /**
   * Simulator knobs from `# qvm-sim: key=value flag …` comments (the real qvm ignores comments).
   * A bare flag has the value `true`.
   */
  readonly simKnobs: Readonly<Record<string, string | true>>;
}

export interface QvmconfError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export type QvmconfParseResult =
  | { readonly ok: true; readonly document: QvmconfDocument }
  | { readonly ok: false; readonly errors: readonly QvmconfError[] };

export function isContext(entry: QvmconfEntry): entry is QvmconfContext {
  return 'children' in entry;
}
