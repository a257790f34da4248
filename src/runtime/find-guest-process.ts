// Which qvm process, if any, belongs to a guest: by the identity record (PID + start time + config
// path in argv), or, when a previous qvmctl died between launching and recording, by the monitor's
// PID file of a run that has not ended (the monitor is ours, so its PID file is trusted once the
// process also shows this guest's config path in its argv).
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RuntimeContext } from './context.js';
import { sameStart, type ProcessEntry } from './proc-table/types.js';
import { readJsonFile } from './state/atomic-file.js';
import { type IdentityRecord, readIdentity, writeIdentity } from './state/identity.js';
import { listRuns } from './state/exit-records.js';

/** Written before the monitor is launched: what adoption needs to rebuild an identity record. */
export interface LaunchRecord {
  readonly runId: string;
  readonly confPath: string;
  readonly configHash: string;
  readonly startedAt: number;
  readonly consoleOffset: number;
}

export function launchRecordPath(ctx: RuntimeContext, name: string, runId: string): string {
  return ctx.layout.pidFile(name, runId).replace(/\.pid$/, '.launch.json');
}

export function hasArg(entry: ProcessEntry, arg: string): boolean {
  return entry.argv.includes(arg);
}

/** The verified identity of the guest's running qvm, adopting an unrecorded run if needed. */
export async function findGuestProcess(
  ctx: RuntimeContext,
  name: string,
  processes: readonly ProcessEntry[],
): Promise<IdentityRecord | undefined> {
  const identity = await readIdentity(ctx.layout, name);
  if (identity !== undefined) {
    const entry = processes.find((p) => p.pid === identity.pid);
    if (entry !== undefined && sameStart(entry.start, identity.processStart) && hasArg(entry, `@${identity.confPath}`)) return identity;
  }
  const { pidFiles, exits } = await listRuns(ctx.layout, name);
  const ended = new Set(exits);
  for (const runId of pidFiles.filter((id) => !ended.has(id) && id !== identity?.runId).reverse()) {
    const adopted = await adoptRun(ctx, name, runId, processes);
    if (adopted !== undefined) return adopted;
  }
  return undefined;
}

async function adoptRun(ctx: RuntimeContext, name: string, runId: string, processes: readonly ProcessEntry[]): Promise<IdentityRecord | undefined> {
  const pidText = await readFile(ctx.layout.pidFile(name, runId), 'utf8').catch(() => '');
  const pid = Number(pidText.trim());
  const launch = (await readJsonFile(launchRecordPath(ctx, name, runId))) as Partial<LaunchRecord> | undefined;
  if (!Number.isInteger(pid) || pid <= 1 || typeof launch?.confPath !== 'string') return undefined;
  const entry = processes.find((p) => p.pid === pid);
  if (entry === undefined || !hasArg(entry, `@${launch.confPath}`)) return undefined;
  const startedAt = launch.startedAt ?? (await stat(ctx.layout.pidFile(name, runId))).mtimeMs;
  const record: IdentityRecord = {
    name,
    runId,
    pid,
    processStart: entry.start,
    configHash: launch.configHash ?? basename(launch.confPath, '.qvmconf'),
    confPath: launch.confPath,
    startedAt: Math.round(startedAt),
    consoleOffset: launch.consoleOffset ?? 0,
  };
  await writeIdentity(ctx.layout, record);
  ctx.log({ level: 'info', msg: 'adopted a qvm whose start was not recorded', guest: name, pid });
  return record;
}

/** Any qvm process whose config file lies in this guest's directory, recorded or not. */
export function findAnyGuestQvm(ctx: RuntimeContext, name: string, processes: readonly ProcessEntry[]): ProcessEntry | undefined {
  const prefix = `@${ctx.layout.guestDir(name)}/`;
  return processes.find((p) => p.argv.some((a) => a.startsWith(prefix)));
}
