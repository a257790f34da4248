// `validate`, `render` and `--version`: parsing and output, through the CLI's entry point in this
// process; one case spawns the built CLI as users run it.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, removeDir } from '../helpers/temp-dir.js';
import { runCliInProcess as qvmctl, runQvmctl } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = join(ROOT, 'manifests');

let broken: string;
beforeAll(async () => {
  broken = await copyFixture('broken');
  await writeFile(join(broken, 'garbage.yml'), Buffer.from([0x00, 0xff, 0xfe, 0x01]));
});
afterAll(() => removeDir(broken));

describe('qvmctl --version', () => {
  it('prints the version of the package', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await qvmctl(['--version']);
    expect(r.stdout).toBe(pkg.version);
    expect(r.exitCode).toBe(0);
  });
});

describe('qvmctl validate', () => {
  it('accepts the example fleet', async () => {
    const r = await qvmctl(['validate', '-f', EXAMPLES]);
    expect(r.stdout).toBe('5 guests, 1 host: valid');
    expect(r.exitCode).toBe(0);
  });

  it('answers the same as a process of the built CLI, exit code included', async () => {
    for (const args of [['validate', '-f', EXAMPLES], ['validate', '-f', broken]]) {
      const [inProcess, spawned] = await Promise.all([qvmctl(args), runQvmctl(args, { env: { QVMCTL_DEBUG: '' } })]);
      expect(spawned).toEqual(inProcess);
    }
  });

  it('lists every problem as path:line:col and exits 1, without a stack trace', async () => {
    const r = await qvmctl(['validate', '-f', broken]);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`${join(broken, 'bad-types.yaml')}:11:19: error: expected a duration like 30s (units ms, s, m, h), got \`5 minutes\` (spec.shutdown.guestTimeout)`);
    expect(lines).toContain(`${join(broken, 'cycle.yaml')}:6:15: error: dependency cycle: alpha → gamma → beta → alpha`);
    expect(lines.some((l) => l.startsWith(`${join(broken, 'garbage.yml')}: error: file is not UTF-8 text`))).toBe(true);
    expect(lines.at(-1)).toMatch(/^25 errors in 11 files$/);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });

  it('gives the diagnostics as data with -o json', async () => {
    const r = await qvmctl(['validate', '-f', broken, '-o', 'json']);
    expect(r.exitCode).toBe(1);
    const data = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { file: string; line?: number; col?: number; code: string }[] };
    expect(data.valid).toBe(false);
    expect(data.diagnostics).toContainEqual(expect.objectContaining({ file: join(broken, 'unknown-fields.yaml'), line: 11, col: 5, code: 'schema' }));
  });

  it('fails clearly for a missing directory', async () => {
    const r = await qvmctl(['validate', '-f', join(broken, 'nope')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('cannot read manifest directory (ENOENT)');
  });
});

describe('qvmctl render', () => {
  it('prints the .qvmconf of a structured guest', async () => {
    const r = await qvmctl(['render', 'svc', '-f', EXAMPLES]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['# qvm-sim: boot-ms=600 shutdown-ms=500', 'system svc', 'ram 0x80000000,512M', 'load /guests/svc/Image']);
    expect(r.stdout).toContain('vdev pl011\n    loc 0x1c090000\n    intr gic:37\n    hostdev >-\n');
  });

  it('prints raw and file configs as given', async () => {
    const file = await qvmctl(['render', 'cluster', '-f', EXAMPLES]);
    expect(file.stdout).toContain('vdev wdt-sp805\n    loc 0x1c0f0000');
    const raw = await qvmctl(['render', 'ivi', '-f', EXAMPLES]);
    expect(raw.stdout.split('\n')[1]).toBe('system ivi');
  });

  it('refuses an unknown guest with a clear message and exit 1', async () => {
    const r = await qvmctl(['render', 'nope', '-f', EXAMPLES]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('qvmctl: no guest named `nope` in ' + EXAMPLES + ' (guests: cluster, ivi, rear-seat, svc, telematics)');
    expect(r.stdout).toBe('');
  });

  it('refuses to render from invalid manifests', async () => {
    const r = await qvmctl(['render', 'twin', '-f', broken]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/qvmctl: the manifests in .* are invalid; `twin` cannot be rendered/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
