// A qvm whose monitor was killed (only SIGKILL can end one) leaves no exit record when it ends.
// Observation must not lose that exit: once the process, its monitor and any record are all gone,
// an exit of unknown cause is inferred for the identity's run. Inferring writes nothing: the exit is
// reported at every look until it is acknowledged, which stores it like a monitor's record
// (exit-records.ts, acknowledgeExit).
import { readFile } from 'node:fs/promises';
import type { ExitRecord } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { listMonitorRuns, monitorRunKey } from './monitor-process.js';
import { isSameProcess } from './proc-table/types.js';
import { readRunExit, toExitRecord } from './state/exit-records.js';
import type { IdentityRecord } from './state/identity.js';

/**
 * The inferred exit of the identity's run, or undefined when its exit is (or will be) recorded or
 * qvm still runs. The checks go in the order that makes the inference safe: process gone, then
 * monitor gone (a monitor writes its record before it ends), then still no record.
 */
export async function inferLostExit(ctx: RuntimeContext, identity: IdentityRecord): Promise<ExitRecord | undefined> {
  const { layout } = ctx;
  const { name, runId } = identity;
  if ((await readRunExit(layout, name, runId)) !== undefined) return undefined;
  if (await isSameProcess(ctx.table, identity.pid, identity.processStart)) return undefined;
  if ((await listMonitorRuns(layout, ctx.table)).has(monitorRunKey(name, runId))) return undefined;
  if ((await readRunExit(layout, name, runId)) !== undefined) return undefined;
  const stopRequest = await readFile(layout.stopRequest(name), 'utf8').catch(() => '');
  // Started before this boot: it ended with the host, not by the guest's doing, so not a failure.
  const bootedAt = ctx.table.bootTimeMs?.();
  const hostDown = bootedAt !== undefined && identity.startedAt > 0 && identity.startedAt < bootedAt;
  const raw = {
    runId,
    pid: identity.pid,
    status: -1,
    startedAt: identity.startedAt,
    at: Date.now(),
    requested: hostDown || stopRequest.trim() === String(identity.pid),
    unrecorded: hostDown ? ('host-down' as const) : ('monitor-lost' as const),
  };
  ctx.log(hostDown
    ? { level: 'info', msg: 'qvm started before the host last booted and ended with it: not a failure', guest: name, pid: identity.pid }
    : { level: 'warn', msg: 'qvm ended without an exit record (its monitor was lost): counted as an exit of unknown cause', guest: name, pid: identity.pid });
  return toExitRecord(name, raw);
}
