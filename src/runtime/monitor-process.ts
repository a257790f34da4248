// Recognising a guest's monitor in the process table: `/bin/sh <stateDir>/monitor.sh <guest-dir>
// <run-id> <qvm argv...>` (start-guest.ts launches it so). The run id names the run it watches.
import type { ProcessTable } from './proc-table/types.js';
import type { StateLayout } from './state/layout.js';

/** True for the command line of a monitor of this state directory. */
export function isMonitorArgv(layout: StateLayout, argv: readonly string[]): boolean {
  return argv[1] === layout.monitorScript && argv.length >= 4;
}

/** `<guest name>/<run id>` of a monitor's command line; the key of `monitorRunKey`. */
export function monitorRunOf(layout: StateLayout, argv: readonly string[]): string | undefined {
  if (!isMonitorArgv(layout, argv)) return undefined;
  const guestDir = argv[2] ?? '';
  const prefix = `${layout.guestsDir}/`;
  return guestDir.startsWith(prefix) ? monitorRunKey(guestDir.slice(prefix.length), argv[3] ?? '') : undefined;
}

export function monitorRunKey(name: string, runId: string): string {
  return `${name}/${runId}`;
}

/** The runs whose monitors run now (a fresh look at the process table). */
export async function listMonitorRuns(layout: StateLayout, table: ProcessTable): Promise<Set<string>> {
  const entries = await table.list((argv) => isMonitorArgv(layout, argv));
  return new Set(entries.map((e) => monitorRunOf(layout, e.argv)).filter((k): k is string => k !== undefined));
}
