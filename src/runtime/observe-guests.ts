// Observe: the qvm processes that run, matched to guests by verified identity; the qvm processes
// no guest explains (unmanaged); the exits the monitors recorded that are not acknowledged yet; and,
// for a qvm whose monitor was lost, that it runs unwatched, then, once it has ended, its exit.
import { constants } from 'node:fs';
import { access, open, readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ExitRecord, Observation, ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { findGuestProcess } from './find-guest-process.js';
import { inferLostExit } from './lost-exit.js';
import { isMonitorArgv, monitorRunKey, monitorRunOf } from './monitor-process.js';
import { isSameProcess, type ProcessEntry } from './proc-table/types.js';
import { isNotFound } from './state/atomic-file.js';
import { listGuestDir, readPendingExits } from './state/exit-records.js';
import { readIdentity } from './state/identity.js';
import { isGuestName } from './state/layout.js';
import { toObservedGuest } from './start-guest.js';
import { configFilesOf, systemOfQvm } from './qvm-system.js';
import { reidentifyMissing } from './reidentify.js';
import { onThisHost } from './qvm-command.js';

export async function observeGuests(ctx: RuntimeContext): Promise<Observation> {
  // One scan for qvm and monitors alike; monitors are never qvm (their argv starts with the script).
  // Every process whose executable is qvm, whatever its arguments (qvm-command.ts), of this host.
  const listed = await ctx.table.list((argv) => isMonitorArgv(ctx.layout, argv) || ctx.launcher.isQvm(argv));
  const monitorEntries = listed.filter((p) => isMonitorArgv(ctx.layout, p.argv));
  const processes = await onThisHost(ctx.launcher, ctx.table, listed.filter((p) => !isMonitorArgv(ctx.layout, p.argv)));
  const scanned = [...monitorEntries, ...processes];
  const monitors = new Set(monitorEntries.map((p) => monitorRunOf(ctx.layout, p.argv)).filter((k): k is string => k !== undefined));
  const names = await listGuestNames(ctx);
  // Guests are independent: their state files are read in parallel (one after another, 50 guests
  // took 60 ms, paid at the start and the end of a host shutdown).
  const perGuest = await Promise.all(names.map((name) => observeGuest({ ctx, name, processes, monitors })));
  const explained = new Set<number>();
  const guests: ObservedGuest[] = [];
  const exits: ExitRecord[] = [];
  for (const one of perGuest) {
    if (one.guest !== undefined) {
      explained.add(one.guest.pid);
      guests.push(one.guest);
    }
    exits.push(...one.exits);
  }
  // A qvm whose identity is gone is told by the config path it was launched with (reidentify.ts).
  for (const guest of reidentifyMissing({ layout: ctx.layout, guestDirs: names, qvms: processes, processes: scanned, found: guests, explained, now: Date.now() })) {
    ctx.log({ level: 'debug', msg: 'qvm identified by its config path: its identity record is missing or unreadable', guest: guest.name, pid: guest.pid });
    explained.add(guest.pid);
    guests.push(guest);
  }
  const unmanaged = await withSystems(processes.filter((p) => !explained.has(p.pid)));
  exits.sort((a, b) => a.at - b.at);
  // Asked only when there is no guest directory, the one case where it is in doubt.
  const stateDirMissing = names.length === 0 && await access(ctx.layout.root).then(() => false, (error: unknown) => isNotFound(error));
  return { guests, unmanaged, exits, ...(stateDirMissing ? { stateDirMissing } : {}) };
}

/** Unmanaged qvm with the system name each runs (its configuration files read where they can be). */
async function withSystems(processes: readonly ProcessEntry[]): Promise<UnmanagedProcess[]> {
  const files = [...new Set(processes.flatMap((p) => configFilesOf(p.argv)))];
  const texts = await Promise.all(files.map((f) => readConfigHead(f)));
  const configs = new Map(files.flatMap((f, i) => (texts[i] === undefined ? [] : [[f, texts[i]] as const])));
  return processes.map((p) => {
    const system = systemOfQvm(p.argv, configs);
    return { pid: p.pid, processStart: p.start, argv: p.argv, ...(system === undefined ? {} : { system }) };
  });
}

/**
 * The first 64 KiB of a regular file (`system` is a configuration's first entry), or undefined.
 * The path comes from a command line qvmctl did not write: a FIFO or a device is never read.
 */
async function readConfigHead(path: string): Promise<string | undefined> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (file === undefined) return undefined;
  try {
    if (!(await file.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(CONFIG_HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, CONFIG_HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}

const CONFIG_HEAD_BYTES = 64 * 1024;

async function observeGuest(options: {
  readonly ctx: RuntimeContext;
  readonly name: string;
  readonly processes: readonly ProcessEntry[];
  readonly monitors: ReadonlySet<string>;
}): Promise<{ guest: ObservedGuest | undefined; exits: ExitRecord[] }> {
  const { ctx, name, processes, monitors } = options;
  // Read once, after the process table: which state files there are (a stop request, exit records).
  const listing = await listGuestDir(ctx.layout, name);
  const identity = await findGuestProcess(ctx, name, processes);
  let guest: ObservedGuest | undefined;
  if (identity !== undefined) {
    // A monitor missing from the scan is lost only if its qvm still runs after the scan.
    const monitorLost = !monitors.has(monitorRunKey(name, identity.runId)) && (await isSameProcess(ctx.table, identity.pid, identity.processStart));
    if (monitorLost) ctx.log({ level: 'debug', msg: 'qvm runs without its monitor: its exit will not be recorded', guest: name, pid: identity.pid });
    const stopRequested = listing.includes(basename(ctx.layout.stopRequest(name))) && await isStopRequested(ctx, name, identity.pid);
    guest = toObservedGuest(identity, stopRequested, monitorLost);
  }
  const exits = await readPendingExits(ctx.layout, name, listing);
  if (identity === undefined) {
    const recorded = await readIdentity(ctx.layout, name);
    const lost = recorded === undefined ? undefined : await inferLostExit(ctx, recorded);
    if (lost !== undefined) exits.push(lost);
  }
  return { guest, exits };
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
