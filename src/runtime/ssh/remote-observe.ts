// One look at a remote host in one round trip: a script prints the process table, then the state
// directory's records (the table first: a monitor that ends after it was listed has written its
// exit record before the files are read, so an exit is never inferred while its record is on the
// way). Interpreting the snapshot is pure, with the same rules as the local adapter
// (observe-guests.ts, find-guest-process.ts, lost-exit.ts; docs/runtime.md).
import { randomBytes } from 'node:crypto';
import type { ExitRecord, GuestHistory, Observation, ObservedGuest, UnmanagedProcess } from '../../model/observed.js';
import type { Fence } from '../../model/fence.js';
import { isMonitorArgv, monitorRunKey, monitorRunOf } from '../monitor-process.js';
import { parseProcStat } from '../proc-table/linux.js';
import { mergePidinViews } from '../proc-table/qnx.js';
import { configFilesOf, systemOfQvm } from '../qvm-system.js';
import { reidentifyMissing } from '../reidentify.js';
import { sameStart, type ProcessEntry } from '../proc-table/types.js';
import { parseMonitorExit, toExitRecord } from '../state/exit-records.js';
import { parseHistory } from '../state/history.js';
import { parseFence, parseOrphans } from '../state/host-state.js';
import { selectCompaction } from '../state/compaction.js';
import { parseIdentity, type IdentityRecord } from '../state/identity.js';
import { isGuestName, isRunId, type StateLayout } from '../state/layout.js';
import type { LaunchRecord } from '../find-guest-process.js';
import { parseSections, shq, type RemoteOs } from './remote-sh.js';

/**
 * Starts the lines that tag a script's output. Random per qvmctl process: what a script prints
 * also holds text others chose (a process's command line, what a guest wrote to its console), and
 * such text cannot forge a section it cannot name (docs/remote.md, "Output nobody can forge").
 */
export const MARK = `@@qvmctl:${randomBytes(6).toString('hex')}:`;

/** The state files a look reads, relative to the state directory (shell globs). */
const STATE_FILES = 'fence.json orphans.json guests/*/identity.json guests/*/stop-request guests/*/history.json guests/*/run-*.exit.json guests/*/run-*.pid guests/*/run-*.launch.json';

/**
 * The trust check of a look (\`trust_sd\`, remote-sh.ts): the state directory, and its console logs,
 * whose sizes (a pass's rotation looks at them) come from the same \`ls\` as the modes.
 */
export function observeTrust(stateDir: string): string {
  return `trust_sd ${shq(stateDir)} ${shq(stateDir)}/guests/*/console.log`;
}

/**
 * The script; the shell functions of remote-sh.ts must be defined. With \`trust\` (\`observeTrust\`)
 * it checks the state directory while the table is read, and exits 11 when it may not be trusted:
 * nothing it read is used then. Few processes and no loop over lines: a shell's \`read\` takes a
 * byte per system call, so tools that read in blocks (grep, pidin) do the reading, and every file
 * comes through one grep (with more than one file, grep names each line's file). The process table
 * is read before the state files: a monitor that ends after it was listed has written its exit
 * record before the files are read.
 */
export function observeScript(os: RemoteOs, stateDir: string, trust?: string): string {
  const table = os === 'linux'
    // Every process's command line and stat line, the boot time (/proc/stat), then the state files:
    // one grep, one process. With -z its records end with NUL, not with a newline: each argument is
    // a record of its own, named by grep, and no argument or command name can hold a NUL, so none
    // can start a record for another process (a newline could: docs/remote.md, "Output nobody can
    // forge"). Every process, not only those whose command line says qvm: a qvm binary may have
    // any name (docs/runtime.md, "Which processes are qvm"), and one grep over all of /proc costs
    // less than two over a part of it.
    ? `echo "\${M}procs"
grep -az '' /dev/null /proc/[0-9]*/cmdline /proc/[0-9]*/stat /proc/stat "$@" 2>/dev/null
echo`
    : `echo "\${M}ps"; pidin -F '%a %A'
echo "\${M}states"; pidin -F '%a %J'
echo "\${M}times"; pidin times
echo "\${M}files"
[ $# -eq 0 ] || grep '' /dev/null "$@" 2>/dev/null`;
  // The table is printed by a subshell of its own while the shell runs the trust check, whose ls
  // prints nothing (its lines are kept in variables): two processes at once instead of one after
  // the other, and nothing else writes to the output until the table is done.
  const read = trust === undefined ? table : `{
${table}
} &
_lp=$!
${trust}; _lt=$?
wait $_lp
[ "$_lt" -eq 0 ] || exit 11`;
  // A fence or orphans file counts when its mark or its content is there: one written or removed
  // between the test and the grep reads as up (unreadable, at worst) until the next look.
  return `M=${shq(MARK)}
if cd ${shq(stateDir)} 2>/dev/null; then
  _in=1; set -- ${STATE_FILES}
  [ -f fence.json ] && echo "\${M}fence"
  [ -f orphans.json ] && echo "\${M}orphans"
else
  _in=; set --
fi
${read}
if [ -n "$_in" ]; then
  for g in guests/*/; do [ -d "$g" ] && echo "\${M}guest \${g#guests/}"; done
  echo "\${M}sizes"
  [ -z "\${_tx:-}" ] || emit "$_tx"
elif [ ! -e ${shq(stateDir)} ]; then
  echo "\${M}nostate"
fi
echo "\${M}end"
`;
}

/** Which acknowledged exit records exist, for the runs an exit might be inferred for (rare: a lost monitor). */
export function acknowledgedScript(layout: StateLayout, runs: readonly { readonly name: string; readonly runId: string }[]): string {
  return runs.map(({ name, runId }) => `[ -f ${shq(`${layout.consumedExitsDir(name)}/run-${runId}.exit.json`)} ] && echo ${shq(`${name}/${runId}`)}`).join('\n') + '\nexit 0\n';
}

/**
 * `cx DIR KEEP RUN CONFS [CONF…]` removes, in a guest directory, the exit records of `exits/` but the
 * KEEP newest and RUN's (the identity's) and the PID files there; with CONFS 1 also every config
 * file but the CONFs. Names come from the shell's own glob, sorted, which for run ids
 * (`<epoch ms>-<hex>`, all as long) is oldest first: the rule of state/compaction.ts, on the host,
 * with one rm and no listing sent back. A name with other characters than a run id's is left.
 */
const COMPACT_FN = `cx() {
  [ -d "$1" ] && [ ! -L "$1" ] || return 0
  _cd=$1; _ck=$2; _cr=run-$3.exit.json; _cq=$4; _c1=\${5:-}; _c2=\${6:-}; _cl=
  if [ -d "$_cd/exits" ] && [ ! -L "$_cd/exits" ]; then
    set -- "$_cd"/exits/run-*.exit.json
    [ -e "$1" ] || set --
    _cn=$(($# - _ck))
    while [ "$_cn" -gt 0 ]; do
      _cb=\${1##*/}
      case $_cb in "$_cr"|*[!0-9a-z.-]*) ;; run-[0-9]*-[0-9a-f]*.exit.json) _cl="$_cl exits/$_cb" ;; esac
      shift; _cn=$((_cn - 1))
    done
    for _cf in "$_cd"/exits/run-*.pid; do
      _cb=\${_cf##*/}
      case $_cb in *[!0-9a-z.-]*) ;; run-[0-9]*-[0-9a-f]*.pid) [ -e "$_cf" ] && _cl="$_cl exits/$_cb" ;; esac
    done
  fi
  if [ "$_cq" = 1 ]; then
    for _cf in "$_cd"/*.qvmconf; do
      _cb=\${_cf##*/}
      case $_cb in "$_c1"|"$_c2"|*[!0-9A-Za-z_.-]*) ;; *.qvmconf) [ -f "$_cf" ] && _cl="$_cl $_cb" ;; esac
    done
  fi
  [ -n "$_cl" ] || return 0
  _cw=$PWD; cd "$_cd" || return 0
  set -f; rm -f $_cl; set +f
  cd "$_cw" 2>/dev/null
  return 0
}`;

/**
 * The removals of a compaction (docs/runtime.md, "Compaction") for the guests of a look: what their
 * directories no longer need, as the look saw them, then \`cx\` for each. Empty when there is nothing.
 * It never fails the script it rides on: what could not be removed is tried again at the next one.
 */
export function compactScript(options: {
  readonly layout: StateLayout;
  readonly guests: readonly GuestFiles[];
  readonly keep: number;
  readonly configHashes: ReadonlyMap<string, string>;
}): string {
  const { layout } = options;
  const keep = Math.max(1, Math.floor(options.keep));
  const calls: string[] = [];
  const files: string[] = [];
  for (const { name, files: seen } of options.guests) {
    if (!isGuestName(name)) continue;
    const identity = parseIdentity(name, parseJson(seen.get('identity.json')));
    const desired = options.configHashes.get(name);
    const confOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
    const selection = selectCompaction({
      guestFiles: [...seen.keys()],
      archived: undefined,
      identity: identity === undefined ? undefined : { runId: identity.runId, confFile: confOf(identity.confPath) },
      desiredConf: desired === undefined ? undefined : confOf(layout.confFile(name, desired)),
      keep,
    });
    files.push(...selection.guestFiles.map((f) => `${layout.guestDir(name)}/${f}`));
    const confs = selection.confsNeeded === undefined ? ['0'] : ['1', ...selection.confsNeeded];
    calls.push(`cx ${[layout.guestDir(name), String(keep), identity?.runId ?? '', ...confs].map(shq).join(' ')}`);
  }
  if (calls.length === 0 && files.length === 0) return '';
  return `${COMPACT_FN}\n${calls.join('\n')}\n${files.length === 0 ? '' : `rm -f ${files.map(shq).join(' ')} 2>/dev/null\n`}`;
}

export interface GuestFiles {
  readonly name: string;
  readonly files: ReadonlyMap<string, string>;
}

export interface RemoteSnapshot {
  readonly processes: readonly ProcessEntry[];
  readonly bootTimeMs: number | undefined;
  readonly fence: Fence | undefined;
  readonly orphans: ReadonlyMap<string, number>;
  readonly guests: readonly GuestFiles[];
  readonly stateDirMissing: boolean;
  /** The size of each guest's console.log (what a pass's rotation looks at). */
  readonly consoleSizes?: ReadonlyMap<string, number>;
}

export function parseSnapshot(os: RemoteOs, stdout: string): RemoteSnapshot {
  const sections = parseSections(stdout, MARK);
  if (sections.at(-1)?.tag !== 'end') throw new Error('the observation script ended early (its output is incomplete)');
  const body = (tag: string): string => sections.find((s) => s.tag === tag)?.body ?? '';
  const has = (tag: string): boolean => sections.some((s) => s.tag === tag);
  const { processes, bootSeconds: boot, files } = os === 'linux'
    ? linuxProcesses(body('procs'))
    : { processes: mergePidinViews(body('ps'), body('states'), body('times')), bootSeconds: undefined, files: stateFileLines(body('files')) };
  const guests = new Map<string, Map<string, string>>();
  for (const section of sections) {
    const name = section.arg.endsWith('/') ? section.arg.slice(0, -1) : section.arg;
    if (section.tag === 'guest' && isGuestName(name)) guests.set(name, new Map());
  }
  for (const [path, text] of files) {
    if (!path.startsWith('guests/')) continue;
    const slash = path.indexOf('/', 'guests/'.length);
    guests.get(path.slice('guests/'.length, slash))?.set(path.slice(slash + 1), text);
  }
  const consoleSizes = new Map<string, number>();
  // \`ls -ldn\` lines: mode, links, owner, group, size, date, path (paths hold no spaces).
  for (const line of body('sizes').split('\n')) {
    const words = line.trim().split(/\s+/);
    const name = /\/guests\/([^/]+)\/console\.log$/.exec(words.at(-1) ?? '')?.[1] ?? '';
    const size = Number(words[4]);
    if (isGuestName(name) && /^-/.test(words[0] ?? '') && Number.isSafeInteger(size)) consoleSizes.set(name, size);
  }
  const fence = files.get('fence.json');
  return {
    consoleSizes,
    processes: processes.filter((p) => !p.zombie && p.argv.length > 0),
    bootTimeMs: boot === undefined ? undefined : boot * 1000,
    fence: fence === undefined && !has('fence') ? undefined : parseFence(fence ?? ''),
    orphans: parseOrphans(parseJson(files.get('orphans.json'))),
    stateDirMissing: has('nostate'),
    guests: [...guests].map(([name, guestFiles]) => ({ name, files: guestFiles })),
  };
}

/**
 * The state files of \`grep '' /dev/null FILES…\`: \`<path>:<line>\` each (paths, relative to the
 * state directory, hold no ':', so the first one ends the path), a file's lines joined again.
 */
function stateFileLines(text: string): Map<string, string> {
  const lines = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon);
    const seen = lines.get(path);
    if (seen === undefined) lines.set(path, [line.slice(colon + 1)]);
    else seen.push(line.slice(colon + 1));
  }
  return new Map([...lines].map(([path, parts]) => [path, parts.join('\n')]));
}

/**
 * The records of \`grep -az '' /dev/null CMDLINES… STATS… /proc/stat STATE-FILES…\`:
 * \`/proc/PID/cmdline:<one argument>\`, \`/proc/PID/stat:<stat>\`, \`/proc/stat:<the whole file>\`
 * and \`<state file>:<the whole file>\`, each ended by a NUL (a state file, written by qvmctl, holds
 * none). Unlike ps or pidin, the command line keeps its arguments apart; and a record is a
 * process's only where grep began it. /proc/stat is always there: without it grep did not run as it
 * should (an option this grep does not know), and a table that may lack processes is no table at all.
 */
function linuxProcesses(text: string): { processes: ProcessEntry[]; bootSeconds: number | undefined; files: Map<string, string> } {
  const argvByPid = new Map<number, string[]>();
  const statByPid = new Map<number, string>();
  const files = new Map<string, string>();
  let procStat: string | undefined;
  for (const record of text.split('\0')) {
    if (record.startsWith('/proc/stat:')) {
      procStat = record;
      continue;
    }
    const match = /^\/proc\/([0-9]+)\/(cmdline|stat):(.*)$/s.exec(record);
    if (match === null) {
      // A state file: its path is relative and holds no ':'; its text as its lines joined would be
      // (without the last newline).
      const colon = record.indexOf(':');
      if (colon > 0 && !record.startsWith('/')) {
        const path = record.slice(0, colon);
        const rest = record.slice(colon + 1).replace(/\n$/, '');
        const seen = files.get(path);
        files.set(path, seen === undefined ? rest : `${seen}\n${rest}`);
      }
      continue;
    }
    const pid = Number(match[1]);
    if (match[2] === 'cmdline') {
      const argv = argvByPid.get(pid);
      if (argv === undefined) argvByPid.set(pid, [match[3] ?? '']);
      else argv.push(match[3] ?? '');
    } else {
      statByPid.set(pid, (match[3] ?? '').replace(/\n$/, ''));
    }
  }
  if (procStat === undefined) throw new Error('the host\'s grep did not list the process table (it needs -z, which GNU, BusyBox and toybox grep have)');
  const entries: ProcessEntry[] = [];
  for (const [pid, argv] of argvByPid) {
    const fields = parseProcStat(statByPid.get(pid) ?? '');
    if (fields === undefined || argv.length === 0) continue;
    entries.push({ pid, start: fields.start, zombie: fields.state === 'Z' || fields.state === 'X', argv });
  }
  const boot = Number(/^(?:\/proc\/stat:)?btime (\d+)$/m.exec(procStat)?.[1]);
  return { processes: entries, bootSeconds: Number.isFinite(boot) && boot > 0 ? boot : undefined, files };
}

export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface Interpreted {
  readonly observation: Observation;
  /** The verified identity of each running guest (the stop ladder needs its run id). */
  readonly identities: ReadonlyMap<string, IdentityRecord>;
  /** Identities rebuilt from a run whose start was not recorded: to be written. */
  readonly adopted: readonly IdentityRecord[];
  readonly histories: ReadonlyMap<string, GuestHistory>;
}

export function interpretSnapshot(options: {
  readonly snapshot: RemoteSnapshot;
  readonly layout: StateLayout;
  readonly isQvm: (argv: readonly string[]) => boolean;
  readonly now: number;
  /** Texts of configuration files that unmanaged qvm name (read on the host where they were). */
  readonly configs?: ReadonlyMap<string, string>;
}): Interpreted {
  const { snapshot, layout } = options;
  const monitors = new Set(snapshot.processes.map((p) => monitorRunOf(layout, p.argv)).filter((k): k is string => k !== undefined));
  const qvms = snapshot.processes.filter((p) => !isMonitorArgv(layout, p.argv) && options.isQvm(p.argv));
  const byPid = new Map(qvms.map((p) => [p.pid, p]));
  const guests: ObservedGuest[] = [];
  const exits: ExitRecord[] = [];
  const identities = new Map<string, IdentityRecord>();
  const adopted: IdentityRecord[] = [];
  const histories = new Map<string, GuestHistory>();
  const explained = new Set<number>();
  for (const { name, files } of snapshot.guests) {
    histories.set(name, parseHistory(name, parseJson(files.get('history.json'))));
    const recorded = parseIdentity(name, parseJson(files.get('identity.json')));
    let identity = recorded !== undefined && verifies(byPid.get(recorded.pid), recorded.processStart, recorded.confPath) ? recorded : undefined;
    const pending = [...files].filter(([f]) => f.startsWith('run-') && f.endsWith('.exit.json'))
      .map(([, text]) => parseMonitorExit(parseJson(text))).filter((raw) => raw !== undefined)
      .map((raw) => toExitRecord(name, raw));
    const ended = new Set(pending.map((e) => e.runId));
    if (identity === undefined) {
      identity = adopt(name, files, byPid, ended, recorded?.runId);
      if (identity !== undefined) adopted.push(identity);
    }
    if (identity !== undefined) {
      explained.add(identity.pid);
      identities.set(name, identity);
      const stopRequest = (files.get('stop-request') ?? '').trim();
      guests.push({
        name,
        pid: identity.pid,
        processStart: identity.processStart,
        configHash: identity.configHash,
        startedAt: identity.startedAt,
        ready: identity.readyAt !== undefined,
        stopping: stopRequest === String(identity.pid),
        ...(monitors.has(monitorRunKey(name, identity.runId)) ? {} : { monitorLost: true }),
      });
    }
    exits.push(...pending);
    if (identity === undefined && recorded !== undefined) {
      const lost = inferLostExit({ recorded, files, monitors, processes: snapshot.processes, ended, bootTimeMs: snapshot.bootTimeMs, now: options.now });
      if (lost !== undefined) exits.push(lost);
    }
  }
  // A qvm whose identity is gone is told by the config path it was launched with (reidentify.ts).
  for (const guest of reidentifyMissing({ layout, guestDirs: snapshot.guests.map((g) => g.name), qvms, processes: snapshot.processes, found: guests, explained, now: options.now })) {
    explained.add(guest.pid);
    guests.push(guest);
  }
  const unmanaged: UnmanagedProcess[] = qvms.filter((p) => !explained.has(p.pid)).map((p) => {
    const system = systemOfQvm(p.argv, options.configs ?? new Map());
    return { pid: p.pid, processStart: p.start, argv: p.argv, ...(system === undefined ? {} : { system }) };
  });
  exits.sort((a, b) => a.at - b.at);
  return { observation: { guests, unmanaged, exits, ...(snapshot.stateDirMissing ? { stateDirMissing: true } : {}) }, identities, adopted, histories };
}

function verifies(entry: ProcessEntry | undefined, start: string, confPath: string): boolean {
  return entry !== undefined && sameStart(entry.start, start) && entry.argv.includes(`@${confPath}`);
}

// A run with a PID file and no exit record, whose process shows this guest's config: a qvmctl died
// between launching it and recording it.
function adopt(name: string, files: ReadonlyMap<string, string>, byPid: ReadonlyMap<number, ProcessEntry>, ended: ReadonlySet<string | undefined>, identityRun: string | undefined): IdentityRecord | undefined {
  const runs = [...files.keys()].filter((f) => f.startsWith('run-') && f.endsWith('.pid')).map((f) => f.slice(4, -4))
    .filter((id) => isRunId(id) && !ended.has(id) && id !== identityRun).sort().reverse();
  for (const runId of runs) {
    const pid = Number((files.get(`run-${runId}.pid`) ?? '').trim());
    const launch = parseJson(files.get(`run-${runId}.launch.json`)) as Partial<LaunchRecord> | undefined;
    const entry = byPid.get(pid);
    if (!Number.isInteger(pid) || pid <= 1 || typeof launch?.confPath !== 'string' || entry === undefined || !entry.argv.includes(`@${launch.confPath}`)) continue;
    return {
      name,
      runId,
      pid,
      processStart: entry.start,
      configHash: launch.configHash ?? '',
      confPath: launch.confPath,
      startedAt: launch.startedAt ?? 0,
      consoleOffset: launch.consoleOffset ?? 0,
    };
  }
  return undefined;
}

// As lost-exit.ts: the process gone, its monitor gone, and no record, pending or acknowledged.
function inferLostExit(o: {
  readonly recorded: IdentityRecord;
  readonly files: ReadonlyMap<string, string>;
  readonly monitors: ReadonlySet<string>;
  readonly processes: readonly ProcessEntry[];
  readonly ended: ReadonlySet<string | undefined>;
  readonly bootTimeMs: number | undefined;
  readonly now: number;
}): ExitRecord | undefined {
  const { recorded } = o;
  // Whether it was acknowledged already is asked of the host afterwards (acknowledgedScript): rare.
  if (o.ended.has(recorded.runId)) return undefined;
  if (o.processes.some((p) => p.pid === recorded.pid && sameStart(p.start, recorded.processStart))) return undefined;
  if (o.monitors.has(monitorRunKey(recorded.name, recorded.runId))) return undefined;
  const hostDown = o.bootTimeMs !== undefined && recorded.startedAt > 0 && recorded.startedAt < o.bootTimeMs;
  const stopRequest = (o.files.get('stop-request') ?? '').trim();
  return toExitRecord(recorded.name, {
    runId: recorded.runId,
    pid: recorded.pid,
    status: -1,
    startedAt: recorded.startedAt,
    at: o.now,
    requested: hostDown || stopRequest === String(recorded.pid),
    unrecorded: hostDown ? 'host-down' : 'monitor-lost',
  });
}

/**
 * The first 64 KiB of each regular file among `files` (the configuration files that unmanaged qvm
 * name): their `system` entry says which system each runs (docs/runtime.md). A FIFO or a device
 * is not a regular file and is never read.
 */
export function configHeadsScript(files: readonly string[]): string {
  return `M=${shq(MARK)}
for f in ${files.map(shq).join(' ')}; do
  [ -f "$f" ] && [ -r "$f" ] && { emit "\${M}conf $f"; head -c 65536 "$f"; echo; }
done
echo "\${M}end"
`;
}

export function parseConfigHeads(stdout: string): Map<string, string> {
  const sections = parseSections(stdout, MARK);
  if (sections.at(-1)?.tag !== 'end') throw new Error('the configuration read ended early (its output is incomplete)');
  return new Map(sections.filter((s) => s.tag === 'conf').map((s) => [s.arg, s.body]));
}

/** The configuration files that unmanaged qvm without a known system name name on their command line. */
export function unexplainedConfigFiles(observation: Observation): string[] {
  return [...new Set(observation.unmanaged.filter((p) => p.system === undefined).flatMap((p) => configFilesOf(p.argv)))].sort();
}
