// scripts/test.mjs, which `npm test` runs: both runs' output, never interleaved, and a failure of
// either one is the exit code.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const execFileAsync = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../scripts/test.mjs');

describe('the side-by-side test runner', () => {
  let dir: string;
  beforeEach(async () => { dir = await makeTempDir('test-runner'); });
  afterEach(async () => { await removeDir(dir); });

  // The second run prints and ends first; the first prints only once the second has ended (it
  // waits for the second's marker file, with a deadline), so a runner that passed output on as it
  // came would print `second` before `first`.
  const runBoth = async (firstCode: number, secondCode: number): Promise<{ code: number; stdout: string }> => {
    const marker = join(dir, 'second-ended');
    const first = `const fs = require('node:fs'); const end = Date.now() + 20000;
      const wait = () => { if (fs.existsSync(${JSON.stringify(marker)}) || Date.now() > end) { console.log('first'); process.exit(${firstCode}); } setTimeout(wait, 10); }; wait();`;
    const second = `console.log('second'); require('node:fs').writeFileSync(${JSON.stringify(marker)}, ''); process.exitCode = ${secondCode};`;
    const driver = `import { sideBySide } from ${JSON.stringify(SCRIPT)};
      process.exitCode = await sideBySide([{ name: 'one', argv: [process.execPath, '-e', ${JSON.stringify(first)}] }, { name: 'two', argv: [process.execPath, '-e', ${JSON.stringify(second)}] }]);`;
    return execFileAsync(process.execPath, ['--input-type=module', '-e', driver], { timeout: 30_000 })
      .then(({ stdout }) => ({ code: 0, stdout }), (error: unknown) => error as { code: number; stdout: string });
  };

  it('shows the second run after the first, then one line for both', async () => {
    const { code, stdout } = await runBoth(0, 0);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((l) => l !== '')).toEqual(['first', 'second', expect.stringMatching(/^one: passed in \d+ s; two: passed in \d+ s$/)]);
  });

  it('fails when either run fails, with the first failing exit code', async () => {
    expect((await runBoth(0, 3)).code).toBe(3);
    const both = await runBoth(2, 3);
    expect(both.code).toBe(2);
    expect(both.stdout).toMatch(/one: FAILED in \d+ s; two: FAILED in \d+ s/);
  });
});
