// A mistyped or misplaced --state-dir (docs/cli.md, "The state directory"): the commands that only
// look create nothing and say what they found in one line; the commands that do not use state
// refuse the option. Through the CLI's entry point in this process: this is parsing and output.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExampleFleet, runCliInProcess } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dir.js';

let fleet: Awaited<ReturnType<typeof copyExampleFleet>>;
beforeAll(async () => {
  fleet = await copyExampleFleet();
  await writeFile(join(fleet.root, 'a-file'), 'not a directory\n');
});
afterAll(async () => {
  await removeDir(fleet.root);
});

const qvmctl = (...args: string[]) => runCliInProcess([...args, '-f', fleet.manifests]);

describe('a state directory that does not exist', () => {
  it('status and graph show the guests, say so once, and create nothing', async () => {
    const typo = join(fleet.root, 'stat-dir');
    for (const command of [['status'], ['graph']]) {
      const run = await qvmctl(...command, '--state-dir', typo);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toBe(`note: state directory ${typo} does not exist: nothing was ever started from it (check --state-dir); a look creates nothing`);
    }
    for (const command of [['plan'], ['fence'], ['shutdown', '--dry-run'], ['events'], ['why', 'ivi']]) {
      await qvmctl(...command, '--state-dir', typo);
    }
    expect((await readdir(fleet.root)).sort()).toEqual(['a-file', 'manifests']);
  });
});

describe('a file where the state directory should be', () => {
  it('is one line naming the path and the fix, exit code 1, for every command that reads state', async () => {
    const file = join(fleet.root, 'a-file');
    for (const command of [['status'], ['plan'], ['graph'], ['fence'], ['shutdown', '--dry-run']]) {
      const run = await qvmctl(...command, '--state-dir', file);
      expect(run.exitCode, `${command.join(' ')}: ${run.stderr}`).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines, command.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^qvmctl: state directory ${file} is not usable: .*ENOTDIR.*; move what is in the way or choose another with --state-dir$`));
    }
  });
});

describe('commands that do not use state', () => {
  it('refuse --state-dir as a usage error', async () => {
    for (const command of [['validate'], ['render', 'ivi']]) {
      const run = await qvmctl(...command, '--state-dir', fleet.stateDir);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toBe("qvmctl: unknown option '--state-dir'");
    }
  });
});
