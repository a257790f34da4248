// "One qvmctl daemon per state directory": a lock held for the life of the process.
import type { ProcessTable } from '../proc-table/types.js';
import { ensureDir } from './atomic-file.js';
import { createStateLayout } from './layout.js';
import { acquireLock, type LockHandle } from './lock.js';
import { guardStateDir } from './state-dir-error.js';

export interface ProcessLockOptions {
  readonly stateDir: string;
  readonly table: ProcessTable;
  /** How long to wait for another holder to go away; default 0 (fail at once with LockBusyError). */
  readonly timeoutMs?: number;
}

export async function acquireProcessLock(options: ProcessLockOptions): Promise<LockHandle> {
  const layout = createStateLayout(options.stateDir);
  return guardStateDir(options.stateDir, async () => {
    await ensureDir(layout.root);
    const handle = await acquireLock({ path: layout.processLock, table: options.table, timeoutMs: options.timeoutMs ?? 0 });
    // The state directory may be deleted under a running daemon: its lock is made again with it,
    // so that no second daemon takes the host (docs/daemon.md).
    return { ...handle, renew: () => guardStateDir(options.stateDir, async () => { await ensureDir(layout.root); return handle.renew(); }) };
  });
}
