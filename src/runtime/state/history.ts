// Restart bookkeeping per guest (GuestHistory), kept as readable JSON for the daemon.
import { emptyHistory, type GuestHistory } from '../../model/observed.js';
import { isValidFile } from '../file-schemas.js';
import { ensureDir, readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { createStateLayout } from './layout.js';

/** The stored history, or an empty one when none was saved yet. */
export async function loadGuestHistory(options: { stateDir: string; name: string }): Promise<GuestHistory> {
  return parseHistory(options.name, await readJsonFile(createStateLayout(options.stateDir).historyFile(options.name)));
}

/**
 * A stored history (parsed JSON), or an empty one when there is none or it is not an object
 * (schemas/files/history.schema.json); its lists keep only items of their type.
 */
export function parseHistory(name: string, value: unknown): GuestHistory {
  if (!isValidFile('history', value)) return emptyHistory(name);
  const stored = value as Partial<GuestHistory>;
  return {
    ...emptyHistory(name),
    ...stored,
    name,
    failures: Array.isArray(stored.failures) ? stored.failures.filter((n) => typeof n === 'number') : [],
    ...(Array.isArray(stored.recentStarts) ? { recentStarts: stored.recentStarts.filter((n) => typeof n === 'number') } : {}),
    ...(Array.isArray(stored.foldedRuns) ? { foldedRuns: stored.foldedRuns.filter((r) => typeof r === 'string') } : {}),
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
