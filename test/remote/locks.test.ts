// The pass lock on an ssh host (docs/remote.md, "Locks held by the host"): two controllers (two
// laptops: two connections of their own) never hold it at once; the second waits and is refused
// with the holder's PID; a controller whose link is lost frees it without doing anything.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBusyError } from '../../src/runtime/errors.js';
import type { createSshHost } from '../../src/runtime/ssh/create-ssh-host.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

let target: SshTarget;
let fleet: RemoteFleet;
beforeAll(async () => {
  target = await startSshTarget({ os: 'qnx' });
  fleet = await remoteFleet(target);
}, 60_000);
afterAll(async () => {
  await fleet.cleanup();
  await target.stop();
});

async function controller(name: string): Promise<ReturnType<typeof createSshHost>> {
  return (await fleet.sshHost(name)).host;
}

describe('the pass lock of an ssh host', () => {
  it('is held by one controller at a time, and freed when the holder\'s link is lost', async () => {
    const a = await controller('a');
    const b = await controller('b');
    try {
      let letGo!: () => void;
      const holding = new Promise<void>((resolve) => { letGo = resolve; });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => { entered = resolve; });
      const first = a.withPassLock(async () => { entered(); await holding; });
      await inside;
      const lockFile = join(fleet.stateDir, 'pass.lock');
      const holder = JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number };
      expect(await createLinuxProcessTable().get(holder.pid)).toBeDefined();

      const refused = await b.withPassLock(() => Promise.resolve('ran'), { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LockBusyError);
      expect((refused as LockBusyError).holderPid).toBe(holder.pid);

      // B waits; A lets go; B gets it.
      const second = b.withPassLock(() => Promise.resolve('ran'), { timeoutMs: 10_000 });
      letGo();
      await first;
      expect(await second).toBe('ran');

      // A takes it again and loses its link while it holds it: the host's shell ends and drops it.
      let enteredAgain!: () => void;
      const insideAgain = new Promise<void>((resolve) => { enteredAgain = resolve; });
      const lost = a.withPassLock(() => { enteredAgain(); return new Promise<never>(() => undefined); });
      lost.catch(() => undefined);
      await insideAgain;
      const masters = await createLinuxProcessTable().list((argv) => argv[0] === 'ssh' && argv.some((x) => x.includes(join(fleet.root, 'ctl-a'))));
      expect(masters.length).toBeGreaterThan(0);
      for (const m of masters) process.kill(m.pid, 'SIGTERM');
      expect(await b.withPassLock(() => Promise.resolve('after'), { timeoutMs: 20_000 })).toBe('after');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
