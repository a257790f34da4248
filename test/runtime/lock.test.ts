// Per-guest and process locks: exclusive, stale when the holder is gone, never stolen while live.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockBusyError } from '../../src/runtime/errors.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { acquireLock } from '../../src/runtime/state/lock.js';
import { acquireProcessLock } from '../../src/runtime/state/process-lock.js';

const table = createLinuxProcessTable();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qvmctl-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('locks', () => {
  it('are exclusive until released', async () => {
    const path = join(dir, 'a.lock');
    const first = await acquireLock({ path, table, timeoutMs: 0 });
    await expect(acquireLock({ path, table, timeoutMs: 0 })).rejects.toBeInstanceOf(LockBusyError);
    await first.release();
    const again = await acquireLock({ path, table, timeoutMs: 0 });
    await again.release();
  });

  it('break a lock whose holder PID was reused (wrong start time)', async () => {
    const path = join(dir, 'b.lock');
    await writeFile(path, JSON.stringify({ pid: process.pid, processStart: '1' }));
    const lock = await acquireLock({ path, table, timeoutMs: 0 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('keep a lock whose holder lives (PID 1 here)', async () => {
    const path = join(dir, 'c.lock');
    const init = await table.get(1);
    await writeFile(path, JSON.stringify({ pid: 1, processStart: init?.start }));
    await expect(acquireLock({ path, table, timeoutMs: 50 })).rejects.toMatchObject({ name: 'LockBusyError', holderPid: 1 });
  });

  it('one process lock per state directory', async () => {
    const lock = await acquireProcessLock({ stateDir: dir, table });
    await expect(acquireProcessLock({ stateDir: dir, table })).rejects.toBeInstanceOf(LockBusyError);
    await lock.release();
  });
});
