// Splits qvmconf text into positioned tokens. The syntax is a token stream: whitespace and line
// breaks only separate tokens, and `#` at the start of a token comments out the rest of the line.

export interface QvmconfToken {
  readonly text: string;
  readonly file: string;
  /** 1-based position of the token's first character. */
  readonly line: number;
  readonly col: number;
}

/** A `# qvm-sim: …` comment, kept so the simulator can read its knobs; qvm sees only a comment. */
export interface KnobComment {
  readonly body: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface TokenizeResult {
  readonly tokens: readonly QvmconfToken[];
  readonly knobComments: readonly KnobComment[];
}

const KNOB_PREFIX = /^#\s*qvm-sim:\s*/;

/** Tokens of one source in order; never fails (every character sequence is some token stream). */
export function tokenizeQvmconf(options: { readonly text: string; readonly file: string }): TokenizeResult {
  const tokens: QvmconfToken[] = [];
  const knobComments: KnobComment[] = [];
  const lines = options.text.split(/\r?\n/);
  lines.forEach((lineText, index) => {
    const line = index + 1;
    for (const match of lineText.matchAll(/\S+/g)) {
      const col = match.index + 1;
      if (match[0].startsWith('#')) {
        const comment = lineText.slice(match.index);
        const knob = KNOB_PREFIX.exec(comment);
        if (knob !== null) knobComments.push({ body: comment.slice(knob[0].length).trim(), file: options.file, line, col });
        break;
      }
      tokens.push({ text: match[0], file: options.file, line, col });
    }
  });
  return { tokens, knobComments };
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
