// Shell completion as a shell runs it: the bash script in a real bash, with `qvmctl` on the PATH as
// the built CLI, completing commands, options, option values and guest names from the manifests;
// the zsh and fish scripts parsed by those shells where they exist.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, EXAMPLE_MANIFESTS, runQvmctl } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root = '';
let bin = '';
let scripts: Record<'bash' | 'zsh' | 'fish', string>;

beforeAll(async () => {
  root = await makeTempDir('completion');
  bin = join(root, 'bin');
  await mkdir(bin);
  // The real CLI under the name the scripts call.
  await writeFile(join(bin, 'qvmctl'), `#!/bin/sh\nexec '${process.execPath}' '${CLI_MAIN}' "$@"\n`);
  await chmod(join(bin, 'qvmctl'), 0o755);
  const read = async (shell: string): Promise<string> => {
    const r = await runQvmctl(['completion', shell]);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };
  scripts = { bash: await read('bash'), zsh: await read('zsh'), fish: await read('fish') };
  await writeFile(join(root, 'qvmctl.bash'), scripts.bash);
  await writeFile(join(root, 'qvmctl.zsh'), scripts.zsh);
  await writeFile(join(root, 'qvmctl.fish'), scripts.fish);
}, 30_000);

afterAll(async () => {
  await removeDir(root);
});

/** COMPREPLY for a command line whose last word is being completed. */
async function complete(words: readonly string[], cwd = root): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await execa('bash', ['--norc', '--noprofile', '-c', `source ${join(root, 'qvmctl.bash')}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _qvmctl; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    cwd,
    env: { PATH: `${bin}:/usr/bin:/bin` },
    extendEnv: false,
    reject: false,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('qvmctl completion bash', () => {
  it('completes commands and sub-commands as the program has them', async () => {
    expect(await complete(['qvmctl', 'st'])).toEqual(['start', 'status', 'stop']);
    expect(await complete(['qvmctl', 'lo'])).toEqual(['logs']);
    expect(await complete(['qvmctl', 'release', 'co'])).toEqual(['commit']);
    // The hidden command is not offered.
    expect(await complete(['qvmctl', '__'])).toEqual([]);
  });

  it('completes the options of the command at hand and the values of options with choices', async () => {
    expect(await complete(['qvmctl', 'logs', '--'])).toEqual(['--follow', '--help', '--manifests', '--previous', '--state-dir', '--tail']);
    expect(await complete(['qvmctl', 'status', '-o', ''])).toEqual(['json', 'text']);
    expect(await complete(['qvmctl', 'completion', ''])).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes guest names from the manifests, of ./manifests or of -f / --manifests', async () => {
    const guests = ['cluster', 'ivi', 'rear-seat', 'svc', 'telematics'];
    expect(await complete(['qvmctl', 'render', '-f', EXAMPLE_MANIFESTS, ''])).toEqual(guests);
    expect(await complete(['qvmctl', 'logs', '--manifests', EXAMPLE_MANIFESTS, 'r'])).toEqual(['rear-seat']);
    expect(await complete(['qvmctl', 'restart', 's'], join(EXAMPLE_MANIFESTS, '..'))).toEqual(['svc']);
    // logs: -f follows, so what comes after it is a guest, read from ./manifests.
    expect(await complete(['qvmctl', 'logs', '-f', 'i'], join(EXAMPLE_MANIFESTS, '..'))).toEqual(['ivi']);
    // A directory without manifests: nothing, and no error.
    expect(await complete(['qvmctl', 'why', ''])).toEqual([]);
  });

  it('__complete guests prints the names and nothing else', async () => {
    const r = await runQvmctl(['__complete', 'guests', '-f', EXAMPLE_MANIFESTS]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['cluster', 'ivi', 'rear-seat', 'svc', 'telematics']);
    expect((await runQvmctl(['--help'])).stdout).not.toContain('__complete');
  });
});

describe('the zsh and fish scripts', () => {
  const zsh = ['/usr/bin/zsh', '/bin/zsh'].find((p) => existsSync(p));
  const fish = ['/usr/bin/fish', '/bin/fish'].find((p) => existsSync(p));

  it.skipIf(zsh === undefined)('zsh parses its script (zsh -n)', async () => {
    const r = await execa(zsh ?? 'zsh', ['-n', join(root, 'qvmctl.zsh')], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it.skipIf(fish === undefined)('fish parses its script (fish --no-execute)', async () => {
    const r = await execa(fish ?? 'fish', ['--no-execute', join(root, 'qvmctl.fish')], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    // And completes with it: a command, a sub-command, guest names.
    const run = await execa(fish ?? 'fish', ['--no-config', '-c', `source ${join(root, 'qvmctl.fish')}; complete -C 'qvmctl lo'; complete -C 'qvmctl release co'; complete -C 'qvmctl logs --manifests ${EXAMPLE_MANIFESTS} r'`], { env: { PATH: `${bin}:/usr/bin:/bin` }, extendEnv: false, reject: false });
    expect(run.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['logs', 'commit', 'rear-seat']);
  });

  it('both name every command of the program', () => {
    for (const command of ['validate', 'render', 'logs', 'release', 'prepare', 'completion']) {
      expect(scripts.zsh).toContain(command);
      expect(scripts.fish).toMatch(new RegExp(`-a '${command}'`));
    }
  });
});
