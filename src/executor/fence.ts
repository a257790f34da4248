// The shutdown fence: once a host shutdown begins, no guest may start or restart until an operator
// lifts it. It is a file in the state directory so that every qvmctl process (the daemon, a CLI
// apply, a qvmctl restarted mid-shutdown) obeys it.

import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeJsonAtomic } from '../runtime/state/atomic-file.js';

export interface Fence {
  /** Epoch ms when the fence went up. */
  readonly since: number;
  readonly reason: string;
}

const FILE = 'fence.json';

export async function readFence(stateDir: string): Promise<Fence | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  // A fence that cannot be read is still a fence: never start guests on a half-written one.
  try {
    const value = JSON.parse(text) as Partial<Fence>;
    return { since: typeof value.since === 'number' ? value.since : 0, reason: typeof value.reason === 'string' ? value.reason : 'unknown' };
  } catch {
    return { since: 0, reason: 'unreadable fence file' };
  }
}

export async function raiseFence(stateDir: string, fence: Fence): Promise<void> {
  await writeJsonAtomic(join(stateDir, FILE), fence);
}

export async function liftFence(stateDir: string): Promise<void> {
  await unlink(join(stateDir, FILE)).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}
