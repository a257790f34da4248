// A process's start time as pidin shows it changes form after 182 days (`Mar 14 09:26` becomes
// `Mar 14  2025`: docs/runtime.md, "Process tables"); the process is still the one recorded. The
// rule in TypeScript and in the ssh adapter's sh (run by the shells the QNX host has: mksh, sh).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sameStart } from '../../src/runtime/proc-table/types.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';

const CASES: readonly [now: string, recorded: string, same: boolean][] = [
  ['Mar 14 09:26', 'Mar 14 09:26', true],
  ['Mar 14 2025', 'Mar 14 09:26', true],
  ['Mar 14 2025', 'Mar 15 09:26', false],
  ['Apr 14 2025', 'Mar 14 09:26', false],
  // A process does not get younger: the year recorded and a time of day now is another process.
  ['Mar 14 09:26', 'Mar 14 2025', false],
  ['Mar 14 09:27', 'Mar 14 09:26', false],
  // Linux start times are clock ticks: equal or not.
  ['123456', '123456', true],
  ['123457', '123456', false],
  ['', 'Mar 14 09:26', false],
];

describe('sameStart', () => {
  it.each(CASES)('%s now, %s recorded → %s', (now, recorded, same) => {
    expect(sameStart(now, recorded)).toBe(same);
  });
});

describe('same_start in the host shells', () => {
  const shells = ['/bin/sh', '/usr/bin/mksh'].filter((s) => existsSync(s));
  it('has a shell to run in', () => {
    expect(shells.length).toBeGreaterThan(0);
  });
  for (const shell of shells) {
    it(`agrees with sameStart in ${shell}`, () => {
      const script = `${prelude('qnx')}\nfor c in "$@"; do now=\${c%%/*}; rec=\${c#*/}; if same_start "$now" "$rec"; then echo yes; else echo no; fi; done\n`;
      const out = execFileSync(shell, ['-c', script, 'sh', ...CASES.map(([now, recorded]) => `${now}/${recorded}`)], { encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(CASES.map(([, , same]) => (same ? 'yes' : 'no')));
    });
  }
});
