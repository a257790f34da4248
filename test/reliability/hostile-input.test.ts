// Hostile manifests: whoever can push to the manifest repository must not be able to run
// anything outside Host commands.allow, reach a shell, escape the state directory, or make qvmctl
// read files outside the manifest directory. Each is refused by `qvmctl validate` with file:line,
// and `apply` refuses the same input before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runQvmctl } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root: string;
let dir: string;
let stateDir: string;

beforeEach(async () => {
  root = await makeTempDir('hostile');
  dir = join(root, 'manifests');
  stateDir = join(root, 'state');
  await mkdir(dir);
  await writeFile(join(root, 'outside.qvmconf'), 'system outside\nram 64M\ncpu\n');
  await writeHost();
});
afterEach(() => removeDir(root));

async function writeHost(extra = '', allow = '[qvm-sim, /usr/bin/true]'): Promise<void> {
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
metadata: { name: test }
spec:
  qvm: { simulator: true }
  stateDir: ${stateDir}
  commands:
    allow: ${allow}
${extra}`);
}

function guest(name: string, spec: string): string {
  return `apiVersion: qvmctl/v1
kind: Guest
metadata:
  name: ${name}
spec:
${spec}`;
}

const RAW = `  qvm:
    config: |
      system g
      ram 64M
      cpu
`;

async function validate(): Promise<{ exitCode: number; lines: string[] }> {
  const r = await runQvmctl(['validate', '-f', dir]);
  expect(r.stdout).not.toMatch(/\n\s+at /);
  return { exitCode: r.exitCode, lines: r.stdout.split('\n') };
}

async function expectRefused(file: string, position: string, message: string): Promise<void> {
  const r = await validate();
  expect(r.exitCode).toBe(1);
  const line = r.lines.find((l) => l.startsWith(`${join(dir, file)}${position}: error:`));
  expect(line, r.lines.join('\n')).toBeDefined();
  expect(line).toContain(message);
}

describe('manifests cannot run anything outside Host commands.allow', () => {
  it('refuses a guest shutdown command that is not allowed', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  shutdown:\n    guestCommand: [/usr/bin/touch, /tmp/pwned]\n`));
    await expectRefused('g.yaml', ':12:20', 'executable `/usr/bin/touch` is not in Host spec.commands.allow');
  });

  it('refuses a readiness command that is not allowed', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  readiness:\n    command: [curl, http://evil]\n    timeout: 5s\n`));
    await expectRefused('g.yaml', ':12:15', 'executable `curl` is not in Host spec.commands.allow');
  });

  it('refuses a placeholder as the executable', async () => {
    await writeHost('', '[qvm-sim, "{name}"]');
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  shutdown:\n    guestCommand: ["{name}", x]\n`));
    await expectRefused('g.yaml', ':12:20', 'contains a placeholder');
  });

  it('does not run a refused command, nor anything else, on apply', async () => {
    const sentinel = join(root, 'pwned');
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  readiness:\n    command: [/usr/bin/touch, ${sentinel}]\n    timeout: 5s\n`));
    const r = await runQvmctl(['apply', '-f', dir, '--state-dir', stateDir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toContain('is not in Host spec.commands.allow');
    expect(existsSync(sentinel)).toBe(false);
    expect(existsSync(join(stateDir, 'guests', 'g'))).toBe(false);
  });
});

describe('manifests cannot reach a shell', () => {
  it('refuses a shell as a guest command even when the Host allows it', async () => {
    await writeHost('', '[qvm-sim, /bin/sh]');
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  shutdown:\n    guestCommand: [/bin/sh, -c, "poweroff; rm -rf /"]\n`));
    await expectRefused('g.yaml', ':12:20', 'executable `/bin/sh` is a shell or launcher');
    await expectRefused('host.yaml', ':8:22', 'executable `/bin/sh` is a shell or launcher');
  });

  it('refuses launchers that would run any program (env, xargs, busybox)', async () => {
    await writeHost('', '[qvm-sim, env]');
    await writeFile(join(dir, 'g.yaml'), guest('g', `${RAW}  shutdown:\n    guestCommand: [env, sh, -c, id]\n`));
    await expectRefused('g.yaml', ':12:20', 'executable `env` is a shell or launcher');
  });
});

describe('manifests cannot escape the state directory', () => {
  it.each(['../evil', 'a/b', 'UPPER', '.hidden'])('refuses the guest name %j', async (name) => {
    await writeFile(join(dir, 'g.yaml'), guest(JSON.stringify(name), RAW));
    await expectRefused('g.yaml', ':4:9', 'metadata.name');
  });

  it('refuses a qvm system name that is a path', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', RAW.replace('system g', 'system ../../etc')));
    await expectRefused('g.yaml', ':7:13', 'system name `../../etc` must be a plain word');
  });
});

describe('manifests cannot make qvmctl read files outside the manifest directory', () => {
  it('refuses a configFile with ../ that leaves the directory', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', '  qvm:\n    configFile: ../outside.qvmconf\n'));
    await expectRefused('g.yaml', ':7:17', 'outside the manifest directory and Host configRoots');
  });

  it('refuses an absolute configFile', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', '  qvm:\n    configFile: /etc/passwd\n'));
    await expectRefused('g.yaml', ':7:17', 'resolves to /etc/passwd, outside the manifest directory');
  });

  it('refuses a configFile that is a symlink pointing outside', async () => {
    await symlink(join(root, 'outside.qvmconf'), join(dir, 'inside.qvmconf'));
    await writeFile(join(dir, 'g.yaml'), guest('g', '  qvm:\n    configFile: inside.qvmconf\n'));
    await expectRefused('g.yaml', ':7:17', 'outside the manifest directory');
  });

  it('accepts a configFile under a Host configRoot', async () => {
    await writeHost(`  configRoots: [${root}]\n`);
    await writeFile(join(dir, 'g.yaml'), guest('g', '  qvm:\n    configFile: ../outside.qvmconf\n'));
    expect((await validate()).exitCode).toBe(0);
  });

  it('refuses a manifest that is a symlink to a file outside, without reading it', async () => {
    await writeFile(join(root, 'secret.yaml'), 'not: [valid yaml');
    await symlink(join(root, 'secret.yaml'), join(dir, 'g.yaml'));
    const r = await validate();
    expect(r.exitCode).toBe(1);
    expect(r.lines).toContain(`${join(dir, 'g.yaml')}: error: resolves to ${join(root, 'secret.yaml')}, outside the manifest directory; not read`);
    expect(r.lines.join('\n')).not.toContain('YAML');
  });

  it('reads a manifest that is a symlink to a file inside the directory', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'g.txt'), guest('g', RAW));
    await symlink(join(dir, 'real', 'g.txt'), join(dir, 'g.yaml'));
    const r = await validate();
    expect(r.lines.join('\n')).not.toContain('error');
    expect(r.exitCode).toBe(0);
  });

  it('refuses a FIFO as a manifest or configFile instead of blocking on it', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe.yaml'), join(dir, 'pipe.qvmconf')]);
    await writeFile(join(dir, 'g.yaml'), guest('g', '  qvm:\n    configFile: pipe.qvmconf\n'));
    const r = await validate();
    expect(r.exitCode).toBe(1);
    expect(r.lines).toContain(`${join(dir, 'pipe.yaml')}: error: not a regular file; not read`);
    expect(r.lines.some((l) => l.startsWith(`${join(dir, 'g.yaml')}:7:17: error:`) && l.includes('is not a regular file'))).toBe(true);
  });

  it('refuses a manifest larger than 1 MiB without parsing it', async () => {
    await writeFile(join(dir, 'big.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    await writeFile(join(dir, 'g.yaml'), guest('g', RAW));
    const r = await validate();
    expect(r.exitCode).toBe(1);
    expect(r.lines.find((l) => l.startsWith(`${join(dir, 'big.yaml')}: error:`))).toContain('more than the 1048576 a manifest may have');
  });

  it('does not expand a YAML alias bomb', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    await writeFile(join(dir, 'bomb.yaml'), `${bomb}\n`);
    const r = await validate();
    expect(r.exitCode).toBe(1);
    expect(r.lines.some((l) => l.startsWith(join(dir, 'bomb.yaml')))).toBe(true);
  });
});

describe('state files and the control socket are private', () => {
  it('are not readable by other users after an apply', async () => {
    await writeFile(join(dir, 'g.yaml'), guest('g', `  qvm:\n    config: |\n      # qvm-sim: boot-ms=20 shutdown-ms=20\n      system g\n      ram 64M\n      cpu\n  shutdown:\n    guestCommand: [qvm-sim, guest, "{system}", shutdown]\n`));
    expect((await runQvmctl(['apply', '-f', dir, '--state-dir', stateDir])).exitCode).toBe(0);
    try {
      const { statSync } = await import('node:fs');
      expect(statSync(stateDir).mode & 0o077).toBe(0);
      const leaks = (await listAll(stateDir)).filter((p) => (statSync(p).mode & 0o007) !== 0);
      expect(leaks).toEqual([]);
    } finally {
      expect((await runQvmctl(['stop', 'g', '-f', dir, '--state-dir', stateDir])).exitCode).toBe(0);
    }
  });
});

async function listAll(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(entries.map(async (e) => {
    const p = join(path, e.name);
    return e.isDirectory() ? [p, ...(await listAll(p))] : [p];
  }));
  return nested.flat();
}

describe('the control socket', () => {
  it('is not accessible to other users', async () => {
    const { createDaemonHarness } = await import('../helpers/daemon-harness.js');
    const h = await createDaemonHarness();
    try {
      await h.commit('host only');
      await h.startDaemon();
      const { statSync } = await import('node:fs');
      const socket = statSync(join(h.stateDir, 'qvmctl.sock'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o077).toBe(0);
      expect(statSync(h.stateDir).mode & 0o077).toBe(0);
    } finally {
      await h.cleanup();
    }
  });
});
