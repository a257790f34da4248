// How scripts reach a kept-open shell on the host (runtime/ssh/ssh-client.ts, VIA_FILE_BYTES): a
// short one inline, a long one through the shell's own script file, read with one `head -c`, and
// a long one whose file cannot be written is read off the pipe all the same and fails, so that no
// byte of it is ever run as a command of the shell itself.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshClient, VIA_FILE_BYTES, type SshClient } from '../../src/runtime/ssh/ssh-client.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

let target: SshTarget;
let client: SshClient;

beforeAll(async () => {
  target = await startSshTarget({ os: 'linux' });
  client = createSshClient({
    connection: { kind: 'ssh', host: target.alias, user: undefined, port: undefined, identityFile: undefined, configFile: target.configFile, connectTimeoutMs: 10_000 },
    controlDir: join(target.dir, 'ctl-scripts'),
    shellInit: () => Promise.resolve(prelude('linux')),
  });
}, 60_000);

afterAll(async () => {
  await client.close();
  await target.stop();
});

/** A script of about `bytes` bytes that ends with `tail`: `:` lines before it. */
function padded(bytes: number, tail: string): string {
  const line = `: ${'x'.repeat(70)}\n`;
  return `${line.repeat(Math.ceil(bytes / line.length))}${tail}`;
}

describe('scripts in a kept-open shell', () => {
  it('run the same, short or long: output, stderr and exit status', async () => {
    const tail = 'echo "out é"; echo "err" >&2; exit 3\n';
    const short = await client.quick(tail);
    const long = await client.quick(padded(100_000, tail));
    expect(Buffer.byteLength(padded(100_000, tail))).toBeGreaterThan(VIA_FILE_BYTES);
    for (const r of [short, long]) expect(r).toEqual({ stdout: 'out é\n', stderr: 'err', exitCode: 3 });
    // Each in a subshell of its own: what one sets is not there for the next.
    await client.quick(padded(4_000, 'x=set\n'));
    expect((await client.quick('echo "[${x:-}]"\n')).stdout).toBe('[]\n');
  });

  it('keep their stderr and script files in a directory of the shell\'s own, which only the login user can enter', async () => {
    const r = await client.quick('case $E in "$D"/*) ;; *) exit 1 ;; esac; case $S in "$D"/*) ;; *) exit 1 ;; esac; [ -d "$D" ] && [ ! -L "$D" ] && ls -ldn "$D"\n');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^drwx------ +\\d+ ${process.getuid?.() ?? 0} `));
  });

  it('a long script whose file cannot be written fails, runs none of its commands, and leaves the shell usable', async () => {
    // One shell answers scripts sent one after another (the last one idle is used again).
    await client.quick('rm -f "$S"; mkdir "$S"\n');
    const failed = await client.quick(padded(8_000, 'echo ran; exit 0\n'));
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stdout).not.toContain('ran');
    expect(failed.stderr).not.toBe('');
    expect((await client.quick('echo short; rmdir "$S"\n')).stdout).toBe('short\n');
    expect(await client.quick(padded(8_000, 'echo long\n'))).toMatchObject({ stdout: 'long\n', exitCode: 0 });
  });
});
