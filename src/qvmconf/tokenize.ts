// Splits qvmconf text into positioned tokens. The syntax is a token stream: whitespace and line
// breaks only separate tokens, `#` at the start of a token comments out the rest of the line, and
// double quotes make one argument of text with spaces (`cmdline "console=ttyAMA0 debug"`), where a
// backslash at the end of a line continues the quoted text on the next line (docs/qvmconf.md).

export interface QvmconfToken {
  readonly text: string;
  readonly file: string;
  /** 1-based position of the token's first character. */
  readonly line: number;
  readonly col: number;
  /** Written with double quotes: always an argument, never an option. */
  readonly quoted?: true;
}

/** A `# qvm-sim: …` comment, kept so the simulator can read its knobs; qvm sees only a comment. */
export interface KnobComment {
  readonly body: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface TokenizeError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface TokenizeResult {
  readonly tokens: readonly QvmconfToken[];
  readonly knobComments: readonly KnobComment[];
  /** Quotes that are not closed; the token then runs to the end of its line. */
  readonly errors: readonly TokenizeError[];
}

const KNOB_PREFIX = /^#\s*qvm-sim:\s*/;
const SPACE = /\s/;

/** Tokens of one source in order; never throws (an unclosed quote is reported and the text kept). */
export function tokenizeQvmconf(options: { readonly text: string; readonly file: string }): TokenizeResult {
  const { file } = options;
  const tokens: QvmconfToken[] = [];
  const knobComments: KnobComment[] = [];
  const errors: TokenizeError[] = [];
  const lines = options.text.split(/\r?\n/);
  let index = 0;
  let col = 0;
  while (index < lines.length) {
    const lineText = lines[index] ?? '';
    if (col >= lineText.length) { index += 1; col = 0; continue; }
    if (SPACE.test(lineText.charAt(col))) { col += 1; continue; }
    const line = index + 1;
    const start = col;
    if (lineText.charAt(col) === '#') {
      const comment = lineText.slice(col);
      const knob = KNOB_PREFIX.exec(comment);
      if (knob !== null) knobComments.push({ body: comment.slice(knob[0].length).trim(), file, line, col: col + 1 });
      index += 1;
      col = 0;
      continue;
    }
    // One token: unquoted characters up to whitespace, and quoted sections (which may hold spaces).
    let text = '';
    let quoted = false;
    let current = lineText;
    while (col < current.length && !SPACE.test(current.charAt(col))) {
      if (current.charAt(col) !== '"') { text += current.charAt(col); col += 1; continue; }
      quoted = true;
      const opened = { line: index + 1, col: col + 1 };
      col += 1;
      let closed = false;
      while (!closed) {
        const end = current.indexOf('"', col);
        if (end !== -1) { text += current.slice(col, end); col = end + 1; closed = true; continue; }
        const rest = current.slice(col);
        if (rest.endsWith('\\') && index + 1 < lines.length) {
          text += rest.slice(0, -1);
          index += 1;
          current = lines[index] ?? '';
          col = 0;
          continue;
        }
        errors.push({ file, ...opened, message: 'unterminated quoted argument: the `"` opened here is not closed on its line (continue a quoted argument on the next line with `\\` at the end of the line)' });
        text += rest;
        col = current.length;
        break;
      }
    }
    tokens.push({ text, file, line, col: start + 1, ...(quoted ? { quoted: true as const } : {}) });
  }
  return { tokens, knobComments, errors };
}

/** `boot-ms=300 ignore-power-button` → { 'boot-ms': '300', 'ignore-power-button': true }; later keys win. */
export function parseKnobs(comments: readonly KnobComment[]): Record<string, string | true> {
  const knobs: Record<string, string | true> = {};
  for (const comment of comments) {
    for (const word of comment.body.split(/\s+/).filter((w) => w !== '')) {
      const eq = word.indexOf('=');
      if (eq === -1) knobs[word] = true;
      else knobs[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return knobs;
}
