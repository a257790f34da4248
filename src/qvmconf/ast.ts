// The parsed form of a qvm configuration (`*.qvmconf`): the real syntax is a token stream in which
// `cpu` and `vdev` open a context whose options follow until the next context-opening option.
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
 * in order (`set` inside a context is one of them: it applies to that context).
 */
export interface QvmconfContext extends QvmconfOption {
  readonly option: 'cpu' | 'vdev' | 'pass' | 'reserve';
  readonly children: readonly QvmconfOption[];
}

export type QvmconfEntry = QvmconfOption | QvmconfContext;

export interface QvmconfDocument {
  /** Top-level entries in file order; `@file` includes are spliced in where they appear. */
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
