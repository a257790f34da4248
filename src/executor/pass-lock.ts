// Passes are single-flight per state directory: the daemon and a CLI `apply` never plan or act at
// the same time, so neither acts on an observation the other is about to change.

import { join } from 'node:path';
import { createProcessTable } from '../runtime/proc-table/select.js';
import { ensureDir } from '../runtime/state/atomic-file.js';
import { acquireLock } from '../runtime/state/lock.js';
import { guardStateDir } from '../runtime/state/state-dir-error.js';

/** How long a pass waits for another one to finish. @default 120000 */
export const PASS_LOCK_TIMEOUT_MS = 120_000;

// A state directory that cannot be written fails the pass as one StateDirError.
export function withPassLock<T>(stateDir: string, fn: () => Promise<T>, timeoutMs = PASS_LOCK_TIMEOUT_MS): Promise<T> {
  return guardStateDir(stateDir, async () => {
    await ensureDir(stateDir);
    const lock = await acquireLock({ path: join(stateDir, 'pass.lock'), table: createProcessTable(), timeoutMs });
    try {
      return await fn();
    } finally {
      await lock.release().catch(() => undefined);
    }
  });
}
