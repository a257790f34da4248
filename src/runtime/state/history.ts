// Restart bookkeeping per guest (GuestHistory), kept as readable JSON for the daemon.
import type { GuestHistory } from '../../model/observed.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from './atomic-file.js';
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
  const layout = createStateLayout(options.stateDir);
  await ensureDir(layout.guestDir(history.name));
  const path = layout.historyFile(history.name);
  // JSON drops undefined fields; loadGuestHistory restores them from emptyHistory.
  await writeJsonAtomic(path, history);
}
