// Terminal manners, one rule for every output: colour per https://no-color.org and FORCE_COLOR,
// and colour or non-ASCII glyphs (✓ ✗ …) only on a terminal, so pipes and logs get plain text.

type Env = Readonly<Record<string, string | undefined>>;

/**
 * ANSI colour for a stream: never when `NO_COLOR` is set to anything but the empty string
 * (no-color.org: "when present and not an empty string"); always when `FORCE_COLOR` is set and not
 * `0` or `false`; otherwise only on a terminal.
 */
export function colorFor(stream: { readonly isTTY?: boolean }, env: Env = process.env): boolean {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true;
}

/** Glyphs for a terminal, ASCII for a pipe. */
export interface Glyphs {
  readonly done: string;
  readonly failed: string;
  readonly skipped: string;
  readonly ellipsis: string;
}

const UNICODE: Glyphs = { done: '✓', failed: '✗', skipped: '-', ellipsis: '…' };
const ASCII: Glyphs = { done: 'ok', failed: 'FAILED', skipped: '-', ellipsis: '...' };

export function glyphsFor(stream: { readonly isTTY?: boolean }): Glyphs {
  return stream.isTTY === true ? UNICODE : ASCII;
}
