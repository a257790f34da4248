// `plan` reads the working tree, also in a git checkout, and says so when it differs from HEAD:
// the daemon applies commits only (docs/daemon.md, "Settled input").
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { copyExampleFleet, runQvmctl } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dir.js';

let root: string | undefined;
afterEach(async () => {
  if (root !== undefined) await removeDir(root);
  root = undefined;
});

describe('plan in a git checkout', () => {
  it('plans the working tree, and notes on stderr when it differs from HEAD', async () => {
    const fleet = await copyExampleFleet();
    root = fleet.root;
    const git = (...args: string[]) => execa('git', ['-C', fleet.manifests, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args]);
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'fleet');
    const plan = () => runQvmctl(['plan', '-f', fleet.manifests, '--state-dir', fleet.stateDir, '-o', 'json']);

    const clean = await plan();
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stderr).toBe('');

    const file = join(fleet.manifests, 'svc.yaml');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('\nspec:\n');
    await writeFile(file, text.replace('\nspec:\n', '\nspec:\n  state: stopped\n'));
    const edited = await plan();
    expect(edited.exitCode, edited.stderr).toBe(0);
    const head = (await git('rev-parse', 'HEAD')).stdout.slice(0, 12);
    // With -o json the note is a Message document on stderr (docs/cli.md).
    expect(JSON.parse(edited.stderr)).toEqual({
      apiVersion: 'qvmctl/v1',
      kind: 'Message',
      message: `note: this plan is of the working tree of ${fleet.manifests}, which differs from its HEAD commit ${head}; \`qvmctl run\` applies commits only: commit the change for a daemon to apply it`,
    });
    // The plan is the working tree's: svc is not among the guests to start.
    expect(JSON.stringify(JSON.parse(edited.stdout))).not.toEqual(JSON.stringify(JSON.parse(clean.stdout)));
  });
});
