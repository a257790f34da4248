// Renders qvm options as `.qvmconf` text in the real syntax: one option per line, context options
// indented under their `cpu`/`vdev`/`pass`/`reserve`, an argument with spaces in double quotes,
// simulator knobs in a comment the real qvm ignores.

export interface RenderOption {
  readonly option: string;
  readonly args: readonly string[];
  /** Data blob type before `load`/`pass`, e.g. `initrd` in `initrd load /boot/initrd.img`. */
  readonly blobType?: string;
  /** Present for context-opening options (`cpu`, `vdev`, `pass`, `reserve`). */
  readonly children?: readonly RenderOption[];
}

export interface RenderInput {
  readonly entries: readonly RenderOption[];
  /** Rendered as `# qvm-sim: key=value flag`; a flag has the value `true`. */
  readonly simKnobs?: Readonly<Record<string, string | true>>;
  /** Comment lines written at the top (without `#`). */
  readonly comments?: readonly string[];
}

export interface RenderResult {
  readonly text: string;
  /** The option (the same object) each line came from (index = line − 1); undefined for comment lines. */
  readonly origins: readonly (RenderOption | undefined)[];
}

const INDENT = '    ';

/** Order qvm requires: `system` first, `ram`/`rom` before memory users; options outside contexts
 * before any context (an option after a context may belong to it, e.g. `set`). Stable otherwise. */
export function orderEntries<T extends RenderOption>(entries: readonly T[]): T[] {
  const rank = (e: T): number => {
    if (e.option === 'system') return 0;
    if (e.option === 'ram' || e.option === 'rom') return 1;
    return e.children === undefined ? 2 : 3;
  };
  return entries.map((entry, index) => ({ entry, index }))
    .sort((a, b) => rank(a.entry) - rank(b.entry) || a.index - b.index)
    .map(({ entry }) => entry);
}

export function renderQvmconf(input: RenderInput): string {
  return renderQvmconfWithOrigins(input).text;
}

// Same as renderQvmconf, and says which entry produced each line (to map qvm errors back to manifests).
export function renderQvmconfWithOrigins(input: RenderInput): RenderResult {
  const lines: string[] = [];
  const origins: (RenderOption | undefined)[] = [];
  const push = (text: string, origin: RenderOption | undefined): void => {
    lines.push(text);
    origins.push(origin);
  };
  for (const comment of input.comments ?? []) push(`# ${comment}`.trimEnd(), undefined);
  const knobs = Object.entries(input.simKnobs ?? {}).map(([key, value]) => (value === true ? key : `${key}=${value}`));
  if (knobs.length > 0) push(`# qvm-sim: ${knobs.join(' ')}`, undefined);
  for (const entry of orderEntries(input.entries)) {
    push(formatOption(entry, ''), entry);
    for (const child of entry.children ?? []) push(formatOption(child, INDENT), child);
  }
  return { text: `${lines.join('\n')}\n`, origins };
}

function formatOption(option: RenderOption, indent: string): string {
  const words = [...(option.blobType === undefined ? [] : [option.blobType]), option.option, ...option.args.map(quoteArgument)];
  return indent + words.join(' ');
}

/** An argument as qvmconf text: in double quotes when it is empty, holds whitespace or starts with `#`. */
export function quoteArgument(arg: string): string {
  return arg === '' || /\s/.test(arg) || arg.startsWith('#') ? `"${arg}"` : arg;
}

/** Why an argument cannot be written in qvmconf text (a double quote or a line break), or undefined. */
export function unrenderableArgument(arg: string): string | undefined {
  if (arg.includes('"')) return 'a qvm argument cannot contain a double quote (`"`)';
  if (/[\r\n]/.test(arg)) return 'a qvm argument cannot contain a line break';
  return undefined;
}
