// Observe: the qvm processes that run, matched to guests by verified identity; the qvm processes
// no guest explains (unmanaged); and the exits the monitors recorded since the last observation.
import { readdir, readFile } from 'node:fs/promises';
import type { ExitRecord, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { findGuestProcess } from './find-guest-process.js';
import { isNotFound } from './state/atomic-file.js';
import { claimExits } from './state/exit-records.js';
import { isGuestName } from './state/layout.js';
import { toObservedGuest } from './start-guest.js';

export async function observeGuests(ctx: RuntimeContext): Promise<Observation> {
  const processes = await ctx.table.list(ctx.launcher.isQvm);
  const names = await listGuestNames(ctx);
  const explained = new Set<number>();
  const guests: ObservedGuest[] = [];
  const exits: ExitRecord[] = [];
  for (const name of names) {
    const identity = await findGuestProcess(ctx, name, processes);
    if (identity !== undefined) {
      explained.add(identity.pid);
      guests.push(toObservedGuest(identity, await isStopRequested(ctx, name, identity.pid)));
    }
    exits.push(...(await claimExits(ctx.layout, name)));
  }
  const unmanaged: UnmanagedProcess[] = processes
    .filter((p) => !explained.has(p.pid))
    .map((p) => ({ pid: p.pid, processStart: p.start, argv: p.argv }));
  exits.sort((a, b) => a.at - b.at);
  return { guests, unmanaged, exits };
}

export async function listGuestNames(ctx: RuntimeContext): Promise<string[]> {
  try {
    const entries = await readdir(ctx.layout.guestsDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && isGuestName(e.name)).map((e) => e.name).sort();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

export async function isStopRequested(ctx: RuntimeContext, name: string, pid: number): Promise<boolean> {
  const text = await readFile(ctx.layout.stopRequest(name), 'utf8').catch(() => '');
  return text.trim() === String(pid);
}
