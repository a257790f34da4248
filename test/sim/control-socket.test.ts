// The control socket is a socket file in the simulator's private directory: only the user who runs
// the guests can act on them (it was an abstract socket any local user could reach).
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashText } from '../../src/sim/paths.js';
import { createSimDir, SIM_ARGV, simConf, type SimDir } from '../helpers/sim-guest.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('sim-control'); });
afterEach(async () => { await sim.cleanup(); });

const isRoot = process.getuid?.() === 0;
const NOBODY = 65_534;

/** Runs qvm-sim to its end with its own environment and user (a stranger, for the tests below). */
function runSim(args: readonly string[], options: { dir: string; uid?: number }): Promise<{ code: number | null; stderr: string }> {
  const [command = process.execPath, ...rest] = SIM_ARGV;
  const child = spawn(command, [...rest, ...args], {
    env: { ...process.env, QVM_SIM_DIR: options.dir },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  return new Promise((resolveRun) => { child.on('close', (code) => { resolveRun({ code, stderr }); }); });
}

// A socket file nobody listens on, as an instance killed before it could remove its own leaves.
async function leaveStaleSocket(path: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolveListen) => { server.listen(path, resolveListen); });
  linkSync(path, `${path}.keep`);
  await new Promise((resolveClose) => { server.close(resolveClose); });
  renameSync(`${path}.keep`, path);
}

describe('the control socket', () => {
  it('is a socket file in QVM_SIM_DIR/run, closed to other users; no abstract socket any user could reach', async () => {
    chmodSync(sim.dir, 0o777);
    const run = sim.start([`@${sim.writeConf('a', simConf('a'))}`]);
    await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'running');
    const socket = join(sim.dir, 'run', 'a.sock');
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(join(sim.dir, 'run')).mode & 0o777).toBe(0o700);
    expect(statSync(sim.dir).mode & 0o777).toBe(0o700);
    const sockets = readFileSync('/proc/net/unix', 'utf8');
    expect(sockets).toContain(socket);
    // The old abstract address of this directory (any local user could connect to it) is gone.
    expect(sockets).not.toContain(`@qvm-sim/${hashText(sim.dir)}/`);
    expect((await sim.run(['guest', 'a', 'status'])).code).toBe(0);
  });

  it.runIf(isRoot)('cannot be used by another local user to crash the guest', async () => {
    chmodSync(sim.dir, 0o777);
    const run = sim.start([`@${sim.writeConf('b', simConf('b'))}`]);
    await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'running');
    const stranger = await runSim(['guest', 'b', 'crash'], { dir: sim.dir, uid: NOBODY });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/EACCES/);
    expect(sim.journal().some((l) => l.event === 'guest')).toBe(false);
    expect(run.child.exitCode).toBeNull();
  });

  it.runIf(isRoot)('refuses a QVM_SIM_DIR that belongs to another user, in one line', async () => {
    chownSync(sim.dir, NOBODY, NOBODY);
    const run = sim.start([`@${sim.writeConf('c', simConf('c'))}`]);
    expect(await run.exited).toBe(64);
    expect(run.stderr()).toBe(`qvm-sim: fatal: ${sim.dir} belongs to uid ${NOBODY}, not to this user (uid 0); the simulator keeps its control sockets in a directory of its own: set QVM_SIM_DIR to one\n`);
  });

  it('names the 107-byte limit when QVM_SIM_DIR is too long for a socket path', async () => {
    const root = await makeTempDir('sim-long');
    try {
      const dir = join(root, 'd'.repeat(100));
      const conf = sim.writeConf('e', simConf('e'));
      const started = await runSim([`@${conf}`], { dir });
      expect(started.code).toBe(64);
      expect(started.stderr).toMatch(/^qvm-sim: fatal: control socket path \/.*\/run\/[0-9a-f]{16}\.sock has 1\d\d bytes, over the 107-byte limit of a Unix socket path; use a shorter QVM_SIM_DIR\n$/);
      const command = await runSim(['guest', 'e', 'status'], { dir });
      expect(command.code).toBe(1);
      expect(command.stderr).toContain('over the 107-byte limit');
    } finally {
      await removeDir(root);
    }
  });

  it('uses the hash of a long system name to stay within the limit', async () => {
    const name = `g${'x'.repeat(63)}`;
    const run = sim.start([`@${sim.writeConf('long', simConf(name))}`]);
    await sim.waitForJournal((l) => l.pid === run.pid && l.event === 'running');
    expect((await sim.run(['guest', name, 'status'])).code).toBe(0);
  });

  it('replaces a socket file left by a killed instance; of concurrent starts exactly one runs', async () => {
    mkdirSync(join(sim.dir, 'run'), { mode: 0o700 });
    await leaveStaleSocket(join(sim.dir, 'run', 'f.sock'));
    const conf = sim.writeConf('f', simConf('f', 'boot-ms=50 shutdown-ms=20'));
    const runs = Array.from({ length: 4 }, () => sim.start([`@${conf}`]));
    const winner = await sim.waitForJournal((l) => l.event === 'running');
    const losers = runs.filter((r) => r.pid !== winner.pid);
    expect(await Promise.all(losers.map((r) => r.exited))).toEqual([64, 64, 64]);
    expect(sim.journal().filter((l) => l.event === 'boot')).toHaveLength(1);
    expect((await sim.run(['guest', 'f', 'status'])).code).toBe(0);
  });
});
