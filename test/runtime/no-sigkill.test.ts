// Decision 1 as a test: only src/runtime/signal.ts sends signals, SIGKILL appears nowhere, and no
// execa call in src/ leaves forceKillAfterDelay at its default.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const SIGNAL_MODULE = 'runtime/signal.ts';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// Comments may explain why SIGKILL is never sent; only code counts.
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const files = listFiles(SRC).map((path) => ({ path: relative(SRC, path), code: stripComments(readFileSync(path, 'utf8')) }));

describe('signals (design.md, Decision 1)', () => {
  it('are sent from one module only', () => {
    const senders = files
      .filter((f) => /\bkill\s*\(|\.kill\b|\bkillall\b|\bpkill\b|\bslay\b/.test(f.code))
      .map((f) => f.path)
      .filter((p) => !p.startsWith('sim/'));
    expect(senders).toEqual([SIGNAL_MODULE]);
  });

  it('never include SIGKILL or signal 9', () => {
    const offenders = files.filter((f) => /SIGKILL|kill\([^)]*,\s*9\s*\)/.test(f.code)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('are spawned by execa with forceKillAfterDelay: false everywhere', () => {
    const offenders = files.flatMap((f) =>
      [...f.code.matchAll(/\bexeca(?:Node|Sync)?\s*\(/g)]
        .map((m) => f.code.slice(m.index, f.code.indexOf(');', m.index) + 2))
        .filter((call) => !/forceKillAfterDelay:\s*false/.test(call))
        .map((call) => `${f.path}: ${call.slice(0, 60)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('finds a violation when there is one (the scan can fail)', () => {
    const code = stripComments("process.kill(pid, 'SIGKILL'); // ok");
    expect(/SIGKILL/.test(code)).toBe(true);
  });
});
