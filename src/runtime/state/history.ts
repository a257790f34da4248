// Restart bookkeeping per guest (GuestHistory), kept as readable JSON for the daemon.
import type { GuestHistory } from '../../model/observed.js';
import { readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { createStateLayout } from './layout.js';

export function emptyHistory(name: string): GuestHistory {
  return { name, failures: [], lastExit: undefined, failed: false, failedConfigHash: undefined, restarts: 0 };
}

/** The stored history, or an empty one when none was saved yet. */
export async function loadGuestHistory(options: { stateDir: string; name: string }): Promise<GuestHistory> {
  const value = await readJsonFile(createStateLayout(options.stateDir).historyFile(options.name));
  if (typeof value !== 'object' || value === null) return emptyHistory(options.name);
  const stored = value as Partial<GuestHistory>;
  return {
    ...emptyHistory(options.name),
    ...stored,
    name: options.name,
    failures: Array.isArray(stored.failures) ? stored.failures.filter((n) => typeof n === 'number') : [],
  };
}

export async function saveGuestHistory(options: { stateDir: string; history: GuestHistory }): Promise<void> {
  const { history } = options;
  const path = createStateLayout(options.stateDir).historyFile(history.name);
  // JSON has no undefined: store absent fields as null-free omissions and restore them on load.
  await writeJsonAtomic(path, history);
}
