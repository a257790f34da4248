// Passes are single-flight per host: the daemon and a CLI `apply` never plan or act at the same
// time, so neither acts on an observation the other is about to change.

import { join } from 'node:path';
import type { ProcessTable } from '../proc-table/types.js';
import { ensureDir } from './atomic-file.js';
import { acquireLock } from './lock.js';
import { guardStateDir } from './state-dir-error.js';

/** How long a pass waits for another one to finish. @default 120000 */
export const PASS_LOCK_TIMEOUT_MS = 120_000;

export const PASS_LOCK_FILE = 'pass.lock';

// A state directory that cannot be written fails the pass as one StateDirError.
export function withLocalPassLock<T>(options: { stateDir: string; table: ProcessTable; timeoutMs?: number | undefined }, fn: () => Promise<T>): Promise<T> {
  const { stateDir } = options;
  return guardStateDir(stateDir, async () => {
    await ensureDir(stateDir);
    // Taken and dropped every pass: no fsync, which keeps nothing safer (lock.ts, `durable`).
    const lock = await acquireLock({ path: join(stateDir, PASS_LOCK_FILE), table: options.table, timeoutMs: options.timeoutMs ?? PASS_LOCK_TIMEOUT_MS, durable: false });
    try {
      return await fn();
    } finally {
      await lock.release().catch(() => undefined);
    }
  });
}
