// A running qvm whose identity record is gone or unreadable (the state directory deleted under it,
// a corrupt identity.json) is still this guest's: qvmctl launched it with the guest's own config
// file, `@<stateDir>/guests/<name>/<config hash>.qvmconf`, and that path, with the process start
// time of the table, identifies it again (docs/runtime.md, "Lost state"). Pure: both adapters use it.
import type { ObservedGuest } from '../model/observed.js';
import { isMonitorArgv, monitorRunOf } from './monitor-process.js';
import type { ProcessEntry } from './proc-table/types.js';
import { isGuestName, type StateLayout } from './state/layout.js';

const CONF_FILE = /^([A-Za-z0-9_-]{1,64})\.qvmconf$/;

/** The guest and config hash a qvm command line names by its config path in this state directory. */
export function launchedConfOf(layout: StateLayout, argv: readonly string[]): { name: string; configHash: string } | undefined {
  const prefix = `@${layout.guestsDir}/`;
  for (const arg of argv) {
    if (!arg.startsWith(prefix)) continue;
    const [name = '', file = '', ...rest] = arg.slice(prefix.length).split('/');
    const hash = CONF_FILE.exec(file)?.[1];
    if (rest.length === 0 && isGuestName(name) && hash !== undefined) return { name, configHash: hash };
  }
  return undefined;
}

/** Guest names that running qvm name by their config path, whether or not a guest directory is left. */
export function guestNamesOfQvm(layout: StateLayout, qvms: readonly ProcessEntry[]): string[] {
  return [...new Set(qvms.map((p) => launchedConfOf(layout, p.argv)?.name).filter((n): n is string => n !== undefined))];
}

/**
 * The guest's qvm told by its config path alone, among the processes no identity explains: the
 * one whose monitor runs, else the lowest PID. Ready is unknown (false); its start is when it was
 * seen so; without a live monitor it runs unwatched (`monitorLost`).
 */
export function reidentify(options: {
  readonly layout: StateLayout;
  readonly name: string;
  readonly qvms: readonly ProcessEntry[];
  readonly monitorArgvs: readonly (readonly string[])[];
  readonly explained: ReadonlySet<number>;
  readonly now: number;
}): { guest: ObservedGuest; runId: string | undefined } | undefined {
  const { layout, name } = options;
  const candidates = options.qvms
    .filter((p) => !p.zombie && !options.explained.has(p.pid) && launchedConfOf(layout, p.argv)?.name === name)
    .sort((a, b) => a.pid - b.pid);
  if (candidates.length === 0) return undefined;
  // A monitor's argv carries the qvm argv it launched after its run id.
  const runs = options.monitorArgvs.map((argv) => ({ key: monitorRunOf(layout, argv), qvmArgv: argv.slice(4) }))
    .filter((m) => m.key?.startsWith(`${name}/`) === true);
  const watched = candidates.find((p) => runs.some((m) => sameArgv(m.qvmArgv, p.argv)));
  const chosen = watched ?? candidates[0];
  if (chosen === undefined) return undefined;
  const run = watched === undefined ? undefined : runs.find((m) => sameArgv(m.qvmArgv, chosen.argv));
  const runId = run?.key?.slice(name.length + 1);
  const configHash = launchedConfOf(layout, chosen.argv)?.configHash ?? '';
  const guest: ObservedGuest = {
    name,
    pid: chosen.pid,
    processStart: chosen.start,
    configHash,
    startedAt: options.now,
    ready: false,
    stopping: false,
    ...(run === undefined ? { monitorLost: true } : {}),
  };
  return { guest, runId };
}

/**
 * Every guest that a running qvm names by its config path and that no identity explained (`found`
 * names those that did; `explained` their PIDs), identified again. `processes` is the whole scan,
 * qvm and monitors; `guestDirs` the guest directories that are left.
 */
export function reidentifyMissing(options: {
  readonly layout: StateLayout;
  readonly guestDirs: readonly string[];
  readonly qvms: readonly ProcessEntry[];
  readonly processes: readonly ProcessEntry[];
  readonly found: readonly ObservedGuest[];
  readonly explained: ReadonlySet<number>;
  readonly now: number;
}): ObservedGuest[] {
  const { layout, qvms, now } = options;
  const found = new Set(options.found.map((g) => g.name));
  const explained = new Set(options.explained);
  const monitorArgvs = options.processes.filter((p) => isMonitorArgv(layout, p.argv)).map((p) => p.argv);
  const again: ObservedGuest[] = [];
  for (const name of [...new Set([...options.guestDirs, ...guestNamesOfQvm(layout, qvms)])].sort()) {
    if (found.has(name)) continue;
    const one = reidentify({ layout, name, qvms, monitorArgvs, explained, now });
    if (one === undefined) continue;
    explained.add(one.guest.pid);
    again.push(one.guest);
  }
  return again;
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
