// Exit records written by the monitor, read back as model ExitRecords. `observe` claims each one
// by renaming it into `exits/` (atomic: of two concurrent observers only one reports it); the
// claimed files stay there as readable history.
import { readdir, rename } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { ExitRecord, UnrecordedCause } from '../../model/observed.js';
import { ensureDir, isNotFound, readJsonFile } from './atomic-file.js';
import { isRunId, type StateLayout } from './layout.js';

interface MonitorExit {
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
    return { name, pid: raw.pid, code: null, signal: null, at: raw.at, startedAt: raw.startedAt, requested: raw.requested, unrecorded: raw.unrecorded };
  }
  const bySignal = raw.status > 128 && raw.status < 128 + 65;
  return {
    name,
    pid: raw.pid,
    code: bySignal ? null : raw.status,
    signal: bySignal ? (SIGNAL_NAMES.get(raw.status - 128) ?? `SIG${raw.status - 128}`) : null,
    at: raw.at,
    startedAt: raw.startedAt,
    requested: raw.requested,
  };
}

function parseMonitorExit(value: unknown): MonitorExit | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<MonitorExit>;
  if (typeof v.runId !== 'string' || typeof v.pid !== 'number' || typeof v.status !== 'number') return undefined;
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
export async function listRuns(layout: StateLayout, name: string): Promise<{ pidFiles: string[]; exits: string[] }> {
  let files: string[];
  try {
    files = await readdir(layout.guestDir(name));
  } catch (error) {
    if (isNotFound(error)) return { pidFiles: [], exits: [] };
    throw error;
  }
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

/** Claims the unreported exit records of a guest, oldest first; each is returned exactly once. */
export async function claimExits(layout: StateLayout, name: string): Promise<ExitRecord[]> {
  const { exits } = await listRuns(layout, name);
  if (exits.length === 0) return [];
  const dir = layout.consumedExitsDir(name);
  await ensureDir(dir);
  const claimed: ExitRecord[] = [];
  for (const runId of exits) {
    const from = layout.exitFile(name, runId);
    const to = join(dir, basename(from));
    const raw = parseMonitorExit(await readJsonFile(from));
    if (raw === undefined) continue;
    try {
      await rename(from, to);
    } catch (error) {
      if (isNotFound(error)) continue; // another observer claimed it
      throw error;
    }
    await rename(layout.pidFile(name, runId), join(dir, `run-${runId}.pid`)).catch(() => undefined);
    claimed.push(toExitRecord(name, raw));
  }
  return claimed;
}
