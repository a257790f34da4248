// Console logs on a host reached over ssh (mksh and toybox only on the target): `qvmctl logs`, a
// pass's rotation (copy and truncate under a running qvm, the identity's offset kept on the host),
// readiness by a line that was rotated out, and following a log across a rotation (docs/runtime.md,
// "Console logs").
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdentity } from '../../src/runtime/state/identity.js';
import { runQvmctl } from '../helpers/cli.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { waitFor } from '../helpers/wait-for.js';

let target: SshTarget;
let fleet: RemoteFleet;
const logOf = (name: string): string => join(fleet.stateDir, 'guests', name, 'console.log');
// logs takes -f for --follow: the manifest directory goes as --manifests.
const logs = (args: readonly string[]): ReturnType<typeof runQvmctl> => runQvmctl(['logs', ...args, '--manifests', fleet.manifests]);

beforeAll(async () => {
  target = await startSshTarget({ os: 'qnx' });
  fleet = await remoteFleet(target);
  const hostFile = join(fleet.manifests, 'host.yaml');
  await writeFile(hostFile, `${await readFile(hostFile, 'utf8')}  consoleLog: { maxSize: 4K, keep: 2 }\n`);
  const applied = await fleet.cli(['apply']);
  expect(applied.exitCode, applied.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await fleet.cleanup();
  await target.stop();
});

describe('console logs over ssh', () => {
  it('qvmctl logs prints a guest\'s log from the host, and refuses an unknown guest in one line', async () => {
    const r = await logs(['svc', '--tail', '3']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe((await readFile(logOf('svc'), 'utf8')).trimEnd().split('\n').slice(-3).join('\n'));
    const unknown = await logs(['nobody']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a pass rotates a running guest\'s log; readiness still finds a line of this run that was rotated out', { timeout: 60_000 }, async () => {
    await appendFile(logOf('ivi'), 'IVI-ROTATED-LINE\n'.repeat(300));
    const size = (await stat(logOf('ivi'))).size;
    const applied = await fleet.cli(['apply']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(await readFile(`${logOf('ivi')}.1`, 'utf8')).toMatch(/IVI-ROTATED-LINE\n$/);
    expect((await stat(logOf('ivi'))).size).toBeLessThan(size);
    const identity = parseIdentity('ivi', JSON.parse(await readFile(join(fleet.stateDir, 'guests', 'ivi', 'identity.json'), 'utf8')));
    expect(identity?.consoleOffset).toBeLessThan(0);
    const previous = await logs(['ivi', '--previous', '--tail', '1']);
    expect(previous.stdout).toBe('IVI-ROTATED-LINE');

    const { desired, host } = await fleet.sshHost('ready');
    try {
      const observed = (await host.observe()).guests.find((g) => g.name === 'ivi');
      const spec = desired.guests.find((g) => g.name === 'ivi');
      if (observed === undefined || spec === undefined) throw new Error('ivi does not run');
      expect(await host.waitReady({ ...spec, readiness: { kind: 'log', pattern: 'IVI-ROTATED-LINE', timeoutMs: 5_000 } }, observed)).toBe(true);
      const waiting = host.waitReady({ ...spec, readiness: { kind: 'log', pattern: 'IVI-AFTER', timeoutMs: 20_000 } }, observed);
      await appendFile(logOf('ivi'), 'IVI-AFTER\n');
      expect(await waiting).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('a guest started again begins its run where the last run\'s output ended', { timeout: 60_000 }, async () => {
    const name = 'rear-seat';
    const dir = join(fleet.stateDir, 'guests', name);
    const identityOf = async (): Promise<ReturnType<typeof parseIdentity>> => parseIdentity(name, JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')));
    const before = await identityOf();
    expect((await target.run(`qvm-sim guest ${name} reboot`)).exitCode).toBe(0);
    await waitFor(async () => (await readdir(dir)).includes(`run-${before?.runId ?? ''}.exit.json`), { message: `${name}'s exit record` });
    // The monitor writes the exit record once qvm has ended: the log is complete.
    const size = (await stat(logOf(name))).size;
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(4096);
    const applied = await fleet.cli(['apply']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const after = await identityOf();
    expect(after?.runId).not.toBe(before?.runId);
    expect(after?.consoleOffset).toBe(size);
  });

  it('follows a log across a rotation, each line once', { timeout: 60_000 }, async () => {
    const { host } = await fleet.sshHost('follow');
    let seen = '';
    const stop = new AbortController();
    try {
      await appendFile(logOf('cluster'), 'CL-0\n');
      const following = host.consoleLogs.follow('cluster', { tailLines: 1, onText: (t) => { seen += t; }, signal: stop.signal });
      await waitFor(() => seen === 'CL-0\n', { timeoutMs: 20_000 });
      await appendFile(logOf('cluster'), 'CL-1\n'.repeat(1000));
      const applied = await fleet.cli(['apply']);
      expect(applied.exitCode, applied.stderr).toBe(0);
      await appendFile(logOf('cluster'), 'CL-2\n');
      await waitFor(() => seen.endsWith('CL-2\n'), { timeoutMs: 20_000 });
      stop.abort();
      await following;
      expect(seen).toBe(`CL-0\n${'CL-1\n'.repeat(1000)}CL-2\n`);
    } finally {
      stop.abort();
      await host.close();
    }
  });
});
