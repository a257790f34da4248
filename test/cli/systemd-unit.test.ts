// support/systemd/qvmctl.service: checked by systemd's own `systemd-analyze verify` (a warning is a
// failure too: verify exits 0 on a directive it ignores), with only its install path pointed at the
// built CLI, and held to what docs/boot.md promises: systemd signals qvmctl alone, never the qvm
// processes of its cgroup, and stopping the service never stops the host.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const UNIT = resolve(import.meta.dirname, '..', '..', 'support', 'systemd', 'qvmctl.service');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const INSTALLED = '/usr/local/bin/qvmctl';

let dir = '';
let text = '';
beforeAll(async () => {
  dir = await makeTempDir('systemd-unit');
  text = await readFile(UNIT, 'utf8');
});
afterAll(async () => {
  await removeDir(dir);
});

/** The directives of the [Service] section (comments and other sections left out). */
function service(unit: string): Map<string, string[]> {
  const section = /^\[Service\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(unit)?.[1] ?? '';
  const out = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match !== null) out.set(match[1] ?? '', [...(out.get(match[1] ?? '') ?? []), match[2] ?? '']);
  }
  return out;
}

describe('support/systemd/qvmctl.service', () => {
  it.skipIf(!existsSync(SYSTEMD_ANALYZE))(`passes systemd-analyze verify without a warning (skipped: no ${SYSTEMD_ANALYZE})`, async () => {
    // verify wants ExecStart's executable to exist: the built CLI stands at the install path.
    const bin = join(dir, 'qvmctl');
    await writeFile(bin, `#!/bin/sh\nexec '${process.execPath}' '${CLI_MAIN}' "$@"\n`);
    await chmod(bin, 0o755);
    expect(text).toContain(`ExecStart=${INSTALLED} `);
    const copy = join(dir, 'qvmctl.service');
    await writeFile(copy, text.replaceAll(INSTALLED, bin));
    const r = await execa(SYSTEMD_ANALYZE, ['verify', '--man=no', copy], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
  });

  it('signals qvmctl alone, gives it time, and has no stop command of its own', () => {
    const s = service(text);
    expect(s.get('KillMode')).toEqual(['process']);
    expect(s.get('KillSignal')).toEqual(['SIGTERM']);
    expect(s.get('TimeoutStopSec')).toEqual(['90s']);
    expect(s.has('ExecStop')).toBe(false);
    expect(s.get('ExecStart')?.[0]).toMatch(/ run /);
  });

  it('its ExecStart is a command line qvmctl accepts', async () => {
    const args = (service(text).get('ExecStart')?.[0] ?? '').split(/\s+/).slice(1);
    const r = await execa(process.execPath, [CLI_MAIN, ...args, '--help'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Usage: qvmctl run/);
  });
});
