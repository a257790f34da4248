// inLanes (runtime/ssh/remote-sh.ts): many independent writes of a pass in two subshells at once,
// run by a real shell (mksh where it is installed, as on the test target, else sh).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inLanes, LANE_MIN, shq } from '../../src/runtime/ssh/remote-sh.js';

const SHELL = ['/usr/bin/mksh', '/bin/mksh'].find((p) => existsSync(p)) ?? 'sh';
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function run(script: string): number {
  try {
    execFileSync(SHELL, ['-c', script], { stdio: 'ignore' });
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

describe('inLanes', () => {
  const writes = (dir: string, n: number, failing?: number): string[] =>
    Array.from({ length: n }, (_, i) => (i === failing ? `false || exit 10` : `echo ${i} > ${shq(join(dir, `f${i}`))} || exit 10`));

  it('runs every command, in two lanes from LANE_MIN on, and the script goes on after them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qvmctl-lanes-'));
    dirs.push(dir);
    // The last command of each lane has a status of its own (a file that is not there): no failure.
    const commands = writes(dir, 20);
    commands.splice(10, 0, `[ -f ${shq(join(dir, 'none'))} ] && echo x`);
    commands.push(`[ -f ${shq(join(dir, 'none'))} ] && echo x`);
    const script = `${inLanes(commands)}\necho done > ${shq(join(dir, 'after'))}\n`;
    expect(script).toContain('wait $_l2');
    expect(inLanes(writes(dir, LANE_MIN - 1))).not.toContain('&');
    expect(run(script)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['after', ...Array.from({ length: 20 }, (_, i) => `f${i}`)].sort());
  });

  it.each([3, 15])('ends the script with 10 when a command of a lane fails (command %i), after both lanes ended', (failing) => {
    const dir = mkdtempSync(join(tmpdir(), 'qvmctl-lanes-'));
    dirs.push(dir);
    const script = `${inLanes(writes(dir, 20, failing))}\necho done > ${shq(join(dir, 'after'))}\n`;
    expect(run(script)).toBe(10);
    const files = readdirSync(dir);
    expect(files).not.toContain('after');
    // The other lane ran to its end: the script did not leave it behind.
    expect(files).toContain(failing < 10 ? 'f19' : 'f9');
  });
});
