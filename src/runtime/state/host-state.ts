// The local adapter's HostState: fence, orphans, histories and the last shutdown as files of the
// state directory (docs/runtime.md, "The state directory").
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fence } from '../../model/fence.js';
import { isValidFile } from '../file-schemas.js';
import type { HostState } from '../port.js';
import { ensureDir, isNotFound, readJsonFile, writeJsonAtomic } from './atomic-file.js';
import { loadGuestHistory, saveGuestHistory } from './history.js';

export const FENCE_FILE = 'fence.json';
export const ORPHANS_FILE = 'orphans.json';
/** The last sequence's result: the host may be gone before anyone reads the output. */
export const SHUTDOWN_RECORD_FILE = 'last-shutdown.json';

const UNREADABLE_FENCE: Fence = { since: 0, reason: 'unreadable fence file' };

/**
 * A fence that cannot be read is still a fence: never start guests on a half-written one
 * (schemas/files/fence.schema.json).
 */
export function parseFence(text: string): Fence {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNREADABLE_FENCE;
  }
  if (!isValidFile('fence', value)) return value === null ? UNREADABLE_FENCE : { since: 0, reason: 'unknown' };
  const fence = value as Readonly<Record<'since' | 'reason', unknown>>;
  return { since: typeof fence.since === 'number' ? fence.since : 0, reason: typeof fence.reason === 'string' ? fence.reason : 'unknown' };
}

/** Orphans from parsed JSON (schemas/files/orphans.schema.json): none when not an object. */
export function parseOrphans(value: unknown): ReadonlyMap<string, number> {
  if (!isValidFile('orphans', value)) return new Map();
  return new Map(Object.entries(value as Readonly<Record<string, unknown>>).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

export function formatOrphans(orphans: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...orphans].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function createLocalHostState(stateDir: string): HostState {
  return {
    async readFence() {
      try {
        return parseFence(await readFile(join(stateDir, FENCE_FILE), 'utf8'));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async raiseFence(fence) {
      await ensureDir(stateDir);
      await writeJsonAtomic(join(stateDir, FENCE_FILE), fence);
    },
    async liftFence() {
      await unlink(join(stateDir, FENCE_FILE)).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    },
    loadOrphans: async () => parseOrphans(await readJsonFile(join(stateDir, ORPHANS_FILE))),
    saveOrphans: (orphans) => writeJsonAtomic(join(stateDir, ORPHANS_FILE), formatOrphans(orphans)),
    async loadHistories(names) {
      const loaded = await Promise.all(names.map((name) => loadGuestHistory({ stateDir, name })));
      return new Map(loaded.map((h) => [h.name, h]));
    },
    async saveHistories(histories) {
      // One durable write per guest, all at once: after a host shutdown that is every guest.
      await Promise.all(histories.map((history) => saveGuestHistory({ stateDir, history })));
    },
    async writeShutdownRecord(record) {
      await ensureDir(stateDir);
      await writeJsonAtomic(join(stateDir, SHUTDOWN_RECORD_FILE), record);
    },
    readShutdownRecord: () => readJsonFile(join(stateDir, SHUTDOWN_RECORD_FILE)),
  };
}
