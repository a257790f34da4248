// Exit records written by the monitor, read back as model ExitRecords. `observe` reports each one
// until it is acknowledged (after the history that counts it is durable); acknowledging renames it
// into `exits/`, where the last runs' records stay as readable history (compaction.ts removes older
// ones). An inferred exit (lost-exit.ts) is written there directly, created exclusively.
import { readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { ExitRecord, UnrecordedCause } from '../../model/observed.js';
import { isValidFile } from '../file-schemas.js';
import { createExclusive, ensureDir, isNotFound, readJsonFile } from './atomic-file.js';
import { isRunId, type StateLayout } from './layout.js';

export interface MonitorExit {
  readonly runId: string;
  readonly pid: number;
  readonly status: number;
  readonly startedAt: number;
  readonly at: number;
  readonly requested: boolean;
  /** Inferred by qvmctl, not written by a monitor (lost-exit.ts). */
  readonly unrecorded?: UnrecordedCause;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

// sh reports death by signal N as status 128+N; qvm's own exit codes stay below 128.
export function toExitRecord(name: string, raw: MonitorExit): ExitRecord {
  if (raw.unrecorded !== undefined) {
    return { name, runId: raw.runId, pid: raw.pid, code: null, signal: null, at: raw.at, startedAt: raw.startedAt, requested: raw.requested, unrecorded: raw.unrecorded };
  }
  const bySignal = raw.status > 128 && raw.status < 128 + 65;
  return {
    name,
    runId: raw.runId,
    pid: raw.pid,
    code: bySignal ? null : raw.status,
    signal: bySignal ? (SIGNAL_NAMES.get(raw.status - 128) ?? `SIG${raw.status - 128}`) : null,
    at: raw.at,
    startedAt: raw.startedAt,
    requested: raw.requested,
  };
}

/** An exit record from parsed JSON (schemas/files/exit-record.schema.json), or undefined when it is none. */
export function parseMonitorExit(value: unknown): MonitorExit | undefined {
  if (!isValidFile('exitRecord', value)) return undefined;
  const v = value as Pick<MonitorExit, 'runId' | 'pid' | 'status'> & Readonly<Record<'startedAt' | 'at' | 'requested' | 'unrecorded', unknown>>;
  return {
    runId: v.runId,
    pid: v.pid,
    status: v.status,
    startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0,
    at: typeof v.at === 'number' ? v.at : 0,
    requested: v.requested === true,
    ...(v.unrecorded === 'monitor-lost' || v.unrecorded === 'host-down' ? { unrecorded: v.unrecorded } : {}),
  };
}

/** The exit record of one run, whether or not `observe` has claimed it yet. */
export async function readRunExit(layout: StateLayout, name: string, runId: string): Promise<ExitRecord | undefined> {
  for (const path of [layout.exitFile(name, runId), join(layout.consumedExitsDir(name), basename(layout.exitFile(name, runId)))]) {
    const raw = parseMonitorExit(await readJsonFile(path));
    if (raw !== undefined) return toExitRecord(name, raw);
  }
  return undefined;
}

/** Run ids in the guest directory: with a PID file, and with an unclaimed exit record. */
export async function listRuns(layout: StateLayout, name: string, listing?: readonly string[]): Promise<{ pidFiles: string[]; exits: string[] }> {
  const files = listing ?? await listGuestDir(layout, name);
  const runOf = (file: string, suffix: string): string | undefined => {
    if (!file.startsWith('run-') || !file.endsWith(suffix)) return undefined;
    const id = file.slice(4, -suffix.length);
    return isRunId(id) ? id : undefined;
  };
  return {
    pidFiles: files.map((f) => runOf(f, '.pid')).filter((id): id is string => id !== undefined).sort(),
    exits: files.map((f) => runOf(f, '.exit.json')).filter((id): id is string => id !== undefined).sort(),
  };
}

/**
 * The names in a guest's directory; none when it is not there. Listed synchronously: every pass
 * lists every guest's directory, a few cached entries (docs/daemon.md, "Measured", CPU).
 */
export function listGuestDir(layout: StateLayout, name: string): Promise<string[]> {
  try {
    return Promise.resolve(readdirSync(layout.guestDir(name)));
  } catch (error) {
    if (isNotFound(error)) return Promise.resolve([]);
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The exit records of a guest not acknowledged yet, oldest first. Writes nothing. `listing`: the
 * guest directory's names, when the caller has just read them.
 */
export async function readPendingExits(layout: StateLayout, name: string, listing?: readonly string[]): Promise<ExitRecord[]> {
  const { exits } = await listRuns(layout, name, listing);
  const records = await Promise.all(exits.map(async (runId) => parseMonitorExit(await readJsonFile(layout.exitFile(name, runId)))));
  return records.filter((raw): raw is MonitorExit => raw !== undefined).map((raw) => toExitRecord(name, raw));
}

/** The monitor's JSON of an exit, as written into `exits/` for an inferred one. */
export function toMonitorJson(exit: ExitRecord): string {
  const raw: MonitorExit = {
    runId: exit.runId ?? '',
    pid: exit.pid,
    status: -1,
    startedAt: exit.startedAt,
    at: exit.at,
    requested: exit.requested,
    ...(exit.unrecorded === undefined ? {} : { unrecorded: exit.unrecorded }),
  };
  return `${JSON.stringify(raw)}\n`;
}

/**
 * An exit is reported no more: a recorded one moves into `exits/` (its PID file and launch record
 * are removed), an inferred one is written there. Idempotent: what was moved already, or written by
 * another observer, is left.
 */
export async function acknowledgeExit(layout: StateLayout, exit: ExitRecord): Promise<void> {
  const runId = exit.runId;
  if (runId === undefined || !isRunId(runId)) return;
  const dir = layout.consumedExitsDir(exit.name);
  await ensureDir(dir);
  const from = layout.exitFile(exit.name, runId);
  const to = join(dir, basename(from));
  if (exit.unrecorded !== undefined) {
    await createExclusive(to, toMonitorJson(exit));
  } else {
    try {
      await rename(from, to);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  // The PID file and the launch record are needed only to adopt a run that has not ended (the
  // record holds the PID): gone with its acknowledgement, so they do not pile up.
  await rm(layout.pidFile(exit.name, runId), { force: true });
  await rm(layout.pidFile(exit.name, runId).replace(/\.pid$/, '.launch.json'), { force: true });
}
