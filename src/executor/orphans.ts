// When each running guest without a manifest was first seen so (the prune grace period counts from
// then). Kept in the state directory so that a restart of qvmctl does not reset the grace.

import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../runtime/state/atomic-file.js';

const FILE = 'orphans.json';

export async function loadOrphans(stateDir: string): Promise<ReadonlyMap<string, number>> {
  const value = await readJsonFile(join(stateDir, FILE));
  if (typeof value !== 'object' || value === null) return new Map();
  return new Map(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

export async function saveOrphans(stateDir: string, orphans: ReadonlyMap<string, number>): Promise<void> {
  await writeJsonAtomic(join(stateDir, FILE), Object.fromEntries([...orphans].sort(([a], [b]) => a.localeCompare(b))));
}

// Keeps the first-seen time of guests still orphaned, adds new ones at `now`, forgets the rest.
export function trackOrphans(
  previous: ReadonlyMap<string, number>,
  running: readonly string[],
  specs: ReadonlyMap<string, unknown>,
  now: number,
): ReadonlyMap<string, number> {
  const next = new Map<string, number>();
  for (const name of running) if (!specs.has(name)) next.set(name, previous.get(name) ?? now);
  return next;
}

// Unchanged orphan times need no (fsynced) write on every pass.
export function sameOrphans(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([name, at]) => b.get(name) === at);
}
