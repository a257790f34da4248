// `qvmctl logs` as a user runs it, on a one-guest simulated fleet whose Host caps console logs at 4K:
// the current log, --tail, an unknown guest, a pass that rotates and --previous, -f across a
// rotation until Ctrl-C, and a state directory that is neither read nor created when it is missing.
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, runQvmctl } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/runtime-harness.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let root = '';
let manifests = '';
let stateDir = '';
let harness: Harness;
const log = (): string => join(stateDir, 'guests', 'chatty', 'console.log');
const cli = (args: readonly string[]): ReturnType<typeof runQvmctl> => runQvmctl([...args, '--manifests', manifests]);

beforeAll(async () => {
  root = await makeTempDir('logs-cli');
  manifests = join(root, 'manifests');
  stateDir = join(root, 'state');
  await mkdir(manifests);
  await writeFile(join(manifests, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
spec:
  qvm: { simulator: true }
  stateDir: ../state
  consoleLog: { maxSize: 4K, keep: 1 }
`);
  await writeFile(join(manifests, 'chatty.yaml'), `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: chatty }
spec:
  qvm:
    ram: ["0x80000000,64M"]
    cpus: 1
    simulator: { boot-ms: 50, shutdown-ms: 50 }
  readiness: { logPattern: "login:", timeout: 20s }
`);
  harness = await createHarness({ stateDir });
  const applied = await runQvmctl(['apply', '-f', manifests]);
  expect(applied.exitCode, applied.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await harness.cleanup();
  await removeDir(root);
});

describe('qvmctl logs', () => {
  it('prints the console log, or its last lines', async () => {
    const r = await cli(['logs', 'chatty']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('chatty: guest running');
    expect(r.stdout).toBe((await readFile(log(), 'utf8')).trimEnd());
    const last = await cli(['logs', 'chatty', '--tail', '1']);
    expect(last.stdout.split('\n')).toHaveLength(1);
  });

  it('says in one line that a guest is unknown, exit 1', async () => {
    const r = await cli(['logs', 'nobody']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no guest named `nobody` .*\(guests: chatty\)/);
  });

  it('a pass rotates a log over the cap; --previous shows the rotated one', async () => {
    await appendFile(log(), 'MARK-BEFORE-ROTATION\n'.repeat(300));
    const applied = await runQvmctl(['apply', '-f', manifests]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect((await stat(log())).size).toBeLessThan(4096);
    const previous = await cli(['logs', 'chatty', '-p', '--tail', '1']);
    expect(previous.exitCode, previous.stderr).toBe(0);
    expect(previous.stdout).toBe('MARK-BEFORE-ROTATION');
    expect((await cli(['logs', 'chatty'])).stdout).not.toContain('MARK-BEFORE-ROTATION');
  }, 60_000);

  it('-f follows across a rotation until Ctrl-C, then exits 0', async () => {
    await appendFile(log(), 'FOLLOW-0\n');
    const child = execa(process.execPath, [CLI_MAIN, 'logs', 'chatty', '-f', '--tail', '1', '--manifests', manifests], { reject: false, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    await waitFor(() => out === 'FOLLOW-0\n', { timeoutMs: 20_000 });
    await appendFile(log(), 'FOLLOW-1\n');
    await waitFor(() => out.includes('FOLLOW-1\n'), { timeoutMs: 20_000 });
    await appendFile(log(), 'FOLLOW-2\n'.repeat(500));
    const applied = await runQvmctl(['apply', '-f', manifests]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await appendFile(log(), 'FOLLOW-3\n');
    await waitFor(() => out.includes('FOLLOW-3\n'), { timeoutMs: 20_000 });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(out.match(/FOLLOW-2/g)).toHaveLength(500);
    expect(out.indexOf('FOLLOW-3')).toBeGreaterThan(out.lastIndexOf('FOLLOW-2'));
  }, 60_000);

  it('reads a missing state directory as no log, and does not create it', async () => {
    const missing = join(root, 'no-such-state');
    const r = await cli(['logs', 'chatty', '--state-dir', missing]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/guest chatty has no console log in .*no-such-state/);
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });
});
