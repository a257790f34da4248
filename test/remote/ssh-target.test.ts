// The ssh test target itself: a QNX-like session (mksh, a bare PATH), the qvm, qvm-sim and pidin
// commands, strict host key checking, and sshd stopped and started under open sessions.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQvmLauncher } from '../../src/runtime/qvm-command.js';
import { createQnxProcessTable } from '../../src/runtime/proc-table/qnx.js';
import { readSimJournal, simConf } from '../helpers/sim-guest.js';
import { shellQuote, startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

describe.each(['qnx', 'linux'] as const)('ssh target (%s)', (os) => {
  let target: SshTarget;
  beforeAll(async () => {
    target = await startSshTarget({ os, binExtras: { shutdown: '#!/usr/bin/mksh\nprint "shutdown $*"\n' } });
  });
  afterAll(async () => { await target.stop(); });

  it('runs every command in mksh with the bin dir as the only PATH', async () => {
    const result = await target.run('echo $KSH_VERSION; echo $PATH; command -v bash python3 node; uname -s; pwd');
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain('MIRBSD KSH');
    expect(lines.slice(1)).toEqual([target.binDir, os === 'qnx' ? 'QNX' : 'Linux', target.homeDir]);
    // `command -v` found none of them: it printed nothing and failed.
    expect(result.exitCode).toBe(0);
    expect((await target.run('command -v bash python3 node')).exitCode).not.toBe(0);
  });

  it('runs qvm, qvm-sim and the extra commands through their wrappers', async () => {
    const help = await target.run('qvm --help && qvm-sim --help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout.match(/stand-in for the QNX Hypervisor's qvm/g)).toHaveLength(2);
    expect((await target.run('shutdown -r now')).stdout).toBe('shutdown -r now\n');
  });

  it('passes stdin through, to `sh -s` and to a session without a command', async () => {
    // sh reads its script line by line, so `read` takes the line after it.
    const viaSh = await target.run('sh -s a b', { input: 'read -r first\nhello\nprint "got $first"\necho "$0 $#"\n' });
    expect(viaSh).toMatchObject({ stdout: 'got hello\nsh 2\n', exitCode: 0 });
    // An empty command is a shell session: mksh reads its commands from stdin.
    const session = await target.run('', { input: 'echo "$KSH_VERSION"\nexit 3\n' });
    expect(session.stdout).toContain('MIRBSD KSH');
    expect(session.exitCode).toBe(3);
  });

  it('quotes nothing on the way: the command reaches mksh as written', async () => {
    const result = await target.run(`printf '%s|' ${shellQuote('a b')} "$HOME" '$HOME' ${shellQuote("it's")}`);
    expect(result.stdout).toBe(`a b|${target.homeDir}|$HOME|it's|`);
  });
});

describe('ssh target (qnx): a guest, sshd restarts and host keys', () => {
  let target: SshTarget;
  beforeAll(async () => { target = await startSshTarget({ os: 'qnx' }); });
  afterAll(async () => { await target.stop(); });

  it('runs a guest as qvm that qvmctl\'s pidin reader recognises, with a stable start time', async () => {
    expect((await target.run('cat > ivi.qvmconf', { input: simConf('ivi', 'boot-ms=20 shutdown-ms=20') })).exitCode).toBe(0);
    // The session holds the guest (no detachment here): it ends when the guest does.
    const session = target.run('exec qvm @$HOME/ivi.qvmconf', { timeoutMs: 30_000 });
    const running = await waitFor(() => readSimJournal(target.simDir).find((l) => l.event === 'running'), { message: 'guest ivi running' });
    const table = createQnxProcessTable((args) => target.run(`pidin ${args.map(shellQuote).join(' ')}`).then((r) => r.stdout));
    const launcher = createQvmLauncher({ qvm: { kind: 'path', path: 'qvm' }, simDir: target.simDir, stateDir: target.homeDir });
    // Only this target's guests, although other test files may run guests on targets of their own.
    const guests = await table.list(launcher.isQvm);
    expect(guests.map((g) => g.pid)).toEqual([running.pid]);
    expect(guests[0]?.argv).toEqual([process.execPath, target.qvmEntry, `@${join(target.homeDir, 'ivi.qvmconf')}`]);
    expect((await table.get(running.pid))?.start).toBe(guests[0]?.start);
    const other = await startSshTarget({ os: 'qnx' });
    try {
      const otherPidin = await other.run(`pidin -F '%a %A'`);
      expect(otherPidin.stdout).not.toContain(target.qvmEntry);
      expect(otherPidin.stdout).toContain('pidin -F %a %A');
    } finally {
      await other.stop();
    }
    const shutdown = await target.run('qvm-sim guest ivi shutdown');
    expect(shutdown.exitCode).toBe(0);
    expect((await session).exitCode).toBe(0);
    expect(await table.get(running.pid)).toBeUndefined();
  });

  it('stops sshd without ending open sessions, and starts it again on the same port', async () => {
    const ssh = spawn('ssh', ['-F', target.configFile, target.alias, 'echo ready; read -r line; echo "got $line"'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    ssh.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    const exited = new Promise<number | null>((resolve) => { ssh.on('close', resolve); });
    try {
      await waitFor(() => out.includes('ready'), { message: 'the session to start' });
      await target.stopSshd();
      const refused = await target.run('true');
      expect(refused.exitCode).toBe(255);
      expect(refused.stderr).toContain('Connection refused');
      ssh.stdin.end('still here\n');
      expect(await exited).toBe(0);
      expect(out).toBe('ready\ngot still here\n');
    } finally {
      ssh.kill('SIGTERM');
    }
    await target.startSshd();
    expect(await target.run('echo back')).toMatchObject({ stdout: 'back\n', exitCode: 0 });
  });

  it('fails on an unknown host key (BatchMode never asks)', async () => {
    const empty = join(target.dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const result = await runSsh(['-o', `UserKnownHostsFile=${empty}`, '-F', target.configFile, target.alias, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Host key verification failed');
  });

  it('fails once the host key changed', async () => {
    expect((await target.run('true')).exitCode).toBe(0);
    await target.rotateHostKey();
    const result = await target.run('true');
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(result.stderr).toContain('Host key verification failed');
  });
});

function runSsh(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code, stderr }); });
  });
}
