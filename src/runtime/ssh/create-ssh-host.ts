// The ssh adapter of the host port (docs/remote.md): qvmctl runs on a Linux machine and drives a
// QNX host agentlessly. The monitors, locks and state directory live on the host, so guests and
// their exit records survive both qvmctl and the link. Each operation is one sh script (remote-sh.ts)
// sent through one master connection; an observation is one round trip.
import { randomBytes } from 'node:crypto';
import type { QvmBinary, SshConnection } from '../../model/host-spec.js';
import type { GuestSpec, ShutdownSpec } from '../../model/guest-spec.js';
import type { ExitRecord, GuestHistory, ObservedGuest, UnmanagedProcess } from '../../model/observed.js';
import { DEFAULT_TUNING, type RuntimeContext, type RuntimeEvent, type RuntimeTuning } from '../context.js';
import { FencedError, GuestAlreadyRunningError, GuestStartError, LockBusyError, RuntimeError } from '../errors.js';
import type { HostCommandRunner } from '../host-command.js';
import { MONITOR_SCRIPT } from '../monitor-script.js';
import type { CompactionRequest, ConsoleLogs, HostPort, HostState, LockRelease, RotatedLog, StopHooks, StopOutcome, Watcher } from '../port.js';
import type { ConsoleLogLimits } from '../../model/host-spec.js';
import { generationPath } from '../console-log.js';
import type { ProcessEntry, ProcessTable } from '../proc-table/types.js';
import { isSameProcess, sameStart } from '../proc-table/types.js';
import type { CommandResult } from '../run-command.js';
import type { SignalResult } from '../signal.js';
import { formatJson } from '../state/atomic-file.js';
import { parseMonitorExit, toExitRecord, toMonitorJson } from '../state/exit-records.js';
import { FENCE_FILE, formatOrphans, ORPHANS_FILE, SHUTDOWN_RECORD_FILE } from '../state/host-state.js';
import { parseIdentity, type IdentityRecord } from '../state/identity.js';
import { createStateLayout, isRunId } from '../state/layout.js';
import { PASS_LOCK_FILE, PASS_LOCK_TIMEOUT_MS } from '../state/pass-lock.js';
import { StateDirError } from '../state/state-dir-error.js';
import { StateDirTrustError } from '../state/trust.js';
import { runStopLadder, signalsFirst } from '../stop-ladder.js';
import { delay } from '../poll.js';
import { isQvmCommandLine } from '../qvm-command.js';
import { HostUnreachableError } from './errors.js';
import { acknowledgedScript, compactScript, configHeadsScript, interpretSnapshot, MARK, observeScript, observeTrust, parseConfigHeads, parseJson, parseSnapshot, unexplainedConfigFiles, type GuestFiles, type Interpreted } from './remote-observe.js';
import { escapeBre, heredoc, inLanes, parseSections, prelude, remoteStateDirProblem, shq, type RemoteOs, type Section } from './remote-sh.js';
import { createSshClient, unreachable, type SshClient } from './ssh-client.js';
import { createLockShell } from './lock-shell.js';
import { beatScript, createBatcher, parseBeat, type BeatAnswer, type BeatRequest } from './host-beat.js';

export interface SshHostOptions {
  readonly connection: SshConnection;
  readonly qvm: QvmBinary;
  /** Absolute, on the host. */
  readonly stateDir: string;
  /** Local directory for the master connection's socket. */
  readonly controlDir: string;
  readonly tuning?: Partial<RuntimeTuning>;
  readonly onEvent?: (event: RuntimeEvent) => void;
}

/** How long observed state files stay usable for the state reads of the same pass. */
const SNAPSHOT_REUSE_MS = 2_000;
/** How often the host checks for new exit records while a daemon watches (one fork per look). */
const EXIT_WATCH_INTERVAL_S = '0.2';
/** A round trip that takes longer than this is a lost link. */
const ROUND_TRIP_TIMEOUT_MS = 30_000;

export function createSshHost(options: SshHostOptions): HostPort & { readonly client: SshClient } {
  if (options.qvm.kind !== 'path') {
    throw new RuntimeError('spec.qvm.simulator runs guests on this machine only: on an ssh host, set spec.qvm.path to the host\'s qvm (docs/remote.md)');
  }
  const qvmPath = options.qvm.path;
  const isQvm = (argv: readonly string[]): boolean => isQvmCommandLine(argv, options.qvm);
  // The kept-open shells get the shell functions once (remote-sh.ts), so a quick script is just its body.
  // The kept-open shells ask the host's OS themselves and get the shell functions for it once
  // (remote-sh.ts), so a quick script is just its body and the probe is one of them.
  const client = createSshClient({ connection: options.connection, controlDir: options.controlDir, shellInit: () => Promise.resolve(`_os=$(uname -s)
if [ "$_os" = QNX ]; then
${prelude('qnx')}else
${prelude('linux')}fi
`) });
  const layout = createStateLayout(options.stateDir);
  const sd = layout.root;
  const tuning: RuntimeTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const log = options.onEvent ?? (() => undefined);
  const where = client.where;

  let os: Promise<RemoteOs> | undefined;
  const probe = (): Promise<RemoteOs> => (os ??= client.quick('echo "$_os"\n', { timeoutMs: ROUND_TRIP_TIMEOUT_MS }).then(
    (r) => (r.stdout.trim() === 'QNX' ? 'qnx' : 'linux'),
    (error: unknown) => { os = undefined; throw error; },
  ));
  /** Runs a short script in a kept-open shell; a non-zero exit is the script's own answer, not an error. */
  const sh = async (body: string, timeoutMs = ROUND_TRIP_TIMEOUT_MS): Promise<{ stdout: string; exitCode: number; stderr: string }> => {
    await probe();
    return client.quick(body, { timeoutMs });
  };
  // Every script that reads or writes the state directory checks first that it may be trusted
  // (trust_sd, remote-sh.ts; docs/remote.md): exit 11 with the reason on stderr when not.
  const TRUST = `trust_sd ${shq(sd)} || exit 11\n`;
  // After TRUST: the state directory, made private (trust_sd left its mode in _tsm) without a
  // process when it already is.
  const MAKE_SD = `[ -d ${shq(sd)} ] || mkdir -p ${shq(sd)} || exit 10\ncase $_tsm in drwx------*) ;; *) chmod 700 ${shq(sd)} || exit 10 ;; esac\n`;
  const refuseUntrusted = (r: { exitCode: number; stderr: string }): void => {
    if (r.exitCode !== 11) return;
    const line = r.stderr.split('\n').find((l) => l.startsWith('@@untrusted\t'));
    if (line === undefined) return;
    const [, path = sd, problem = 'is not trusted', fix = `chmod 700 ${sd}`] = line.split('\t');
    throw new StateDirTrustError(path, problem, fix, `${sd} on ${where}`);
  };
  // Writes a pass may leave for its next script (restart histories, then the acknowledgements of
  // the exits folded into them): they ride on it, in order, before its own body, so a restart pass
  // is the lock, the look and the start. A crash before they ran loses nothing: the exits are not
  // acknowledged either, and folding them again is idempotent (docs/remote.md, "The writes of a pass ride on its next script").
  let pending: string[] = [];
  let passes = 0;
  // Set once a start through this connection found (or installed) the monitor with this version's content.
  let monitorChecked = false;
  const trustedSh = async (body: string, timeoutMs?: number): Promise<{ stdout: string; exitCode: number; stderr: string }> => {
    const before = pending.join('');
    pending = [];
    const r = await sh(`${TRUST}${before}${body}`, timeoutMs);
    refuseUntrusted(r);
    return r;
  };
  /** Atomic write of a small text with the shell's own echo and one mv. */
  const putText = (path: string, text: string): string => `emit ${shq(text.replace(/\n$/, ''))} > ${shq(`${path}.tmp.$$`)} && mv -f ${shq(`${path}.tmp.$$`)} ${shq(path)}`;
  /** Runs a script that must succeed (exit 0); a failure names the host and what the script said. */
  const mustSh = async (what: string, body: string): Promise<string> => {
    const r = await trustedSh(body);
    if (r.exitCode !== 0) throw writeFailure(what, r.stderr, r.exitCode);
    return r.stdout;
  };
  /** A write on the host that failed: the state directory's problem (full, read-only…) as locally, else what the script said. */
  const writeFailure = (what: string, stderr: string, exitCode: number): Error => {
    const lines = stderr.trim().split('\n').filter((l) => l.trim() !== '');
    const problem = lines.map(remoteStateDirProblem).find((p) => p !== undefined);
    if (problem !== undefined) return new StateDirError(`${sd} on ${where}`, problem, undefined, undefined, { cause: new Error(lines.join('\n')) });
    return new RuntimeError(`${where}: could not ${what} in ${sd}: ${lines.at(-1) ?? `exit ${exitCode}`}`);
  };

  // The last observation's state files: the state reads of the same pass use them instead of another
  // round trip; any write through this port forgets them.
  let last: { at: number; interpreted: Interpreted; fence: import('../../model/fence.js').Fence | undefined; orphans: ReadonlyMap<string, number>; consoleSizes?: ReadonlyMap<string, number> | undefined; files: readonly GuestFiles[] } | undefined;
  // The identities of the last look, kept past the snapshot's reuse window: a stop needs its run id.
  let seen: ReadonlyMap<string, IdentityRecord> = new Map();
  const fresh = (): typeof last => (last !== undefined && Date.now() - last.at < SNAPSHOT_REUSE_MS ? last : undefined);
  const forget = (): void => { last = undefined; };

  const observe = async (): Promise<Interpreted> => {
    await flush();
    const remoteOs = await probe();
    // The look checks the state directory itself, while it reads the table (observeScript); the
    // writes a pass left for its next script come after a check of their own.
    const script = observeScript(remoteOs, sd, observeTrust(sd));
    const r = pending.length === 0 ? await sh(script) : await trustedSh(script);
    refuseUntrusted(r);
    let interpreted: Interpreted;
    try {
      const snapshot = parseSnapshot(remoteOs, r.stdout);
      interpreted = interpretSnapshot({ snapshot, layout, isQvm, now: Date.now() });
      // A qvm that qvmctl did not start: the system it runs is in the configuration files it names,
      // read in a second round trip only when there is such a qvm (docs/runtime.md).
      const configFiles = unexplainedConfigFiles(interpreted.observation);
      if (configFiles.length > 0) {
        const configs = parseConfigHeads((await sh(configHeadsScript(configFiles))).stdout);
        interpreted = interpretSnapshot({ snapshot, layout, isQvm, now: Date.now(), configs });
      }
      last = { at: Date.now(), interpreted, fence: snapshot.fence, orphans: snapshot.orphans, consoleSizes: snapshot.consoleSizes, files: snapshot.guests };
      seen = interpreted.identities;
      const inferred = interpreted.observation.exits.filter((e) => e.unrecorded !== undefined && e.runId !== undefined);
      if (inferred.length > 0) {
        // An exit inferred for a lost monitor that was acknowledged before is not reported again.
        const known = new Set((await sh(acknowledgedScript(layout, inferred.map((e) => ({ name: e.name, runId: e.runId ?? '' }))))).stdout.split('\n'));
        const exits = interpreted.observation.exits.filter((e) => e.unrecorded === undefined || !known.has(`${e.name}/${e.runId ?? ''}`));
        interpreted = { ...interpreted, observation: { ...interpreted.observation, exits } };
        last = { ...last, interpreted };
      }
    } catch (error) {
      throw new HostUnreachableError(where, 'protocol', `${where}: the observation did not complete (${error instanceof Error ? error.message : String(error)}): ${r.stderr.trim()}`);
    }
    if (interpreted.adopted.length > 0) {
      // Rare (a qvmctl died between launch and record): recorded at once so a stop finds its run.
      await mustSh('record adopted guests', interpreted.adopted.map((id) => heredoc(`put ${shq(layout.identityFile(id.name))}`, formatJson(id))).join(''));
      for (const id of interpreted.adopted) log({ level: 'info', msg: 'adopted a qvm whose start was not recorded', guest: id.name, pid: id.pid });
      forget();
    }
    return interpreted;
  };

  const table: ProcessTable = {
    async list(filter) {
      const remoteOs = await probe();
      const r = await sh(observeScript(remoteOs, '/nonexistent/qvmctl'));
      return parseSnapshot(remoteOs, r.stdout).processes.filter((p) => filter(p.argv));
    },
    // Coalesced: every look at one process made while a tick is under way goes into the next one.
    async get(pid) {
      const answer = await tick({ pid });
      return answer.start === undefined ? undefined : { pid, start: answer.start, zombie: false, argv: [] };
    },
  };

  // One script a beat answers every waiting look and runs every waiting errand (host-beat.ts).
  const beat = createBatcher<BeatRequest, BeatAnswer>(async (requests) => {
    const r = await sh(beatScript(requests, sd));
    const answers = parseBeat(requests, r.stdout);
    if (answers.some((a) => a.failed === 'untrusted')) refuseUntrusted({ exitCode: 11, stderr: r.stderr });
    // A failed write carries what the host said (the beat's stderr).
    return answers.map((a) => (a.failed === undefined ? a : { ...a, failed: r.stderr }));
  }, tuning.pollMs);
  const tick = (request: { pid: number; log?: { path: string; offset: number } }): Promise<BeatAnswer> =>
    beat(request.log === undefined ? { kind: 'alive', pid: request.pid } : { kind: 'log', pid: request.pid, ...request.log });

  /** A stop request the host did not write: what it said. */
  const markFailed = (failed: string): Error => writeFailure('mark the stop request', failed, 1);
  const sendSignal = async (o: { pid: number; processStart: string; signal: string }, mark?: { dir: string; file: string; line: string }): Promise<SignalResult> => {
    if (!['SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'].includes(o.signal)) throw new RangeError(`Expected SIGTERM, SIGQUIT, SIGUSR1 or SIGUSR2, got \`${o.signal}\``);
    if (!Number.isInteger(o.pid) || o.pid <= 1) throw new RangeError(`Expected a process id above 1, got \`${o.pid}\``);
    // Verified and sent in one script on the host: no round trip between the check and the signal.
    const answer = await beat({ kind: 'signal', pid: o.pid, processStart: o.processStart, signal: o.signal.slice(3) as 'TERM' | 'QUIT' | 'USR1' | 'USR2', ...(mark === undefined ? {} : { mark }) });
    if (answer.failed !== undefined) throw markFailed(answer.failed);
    return answer.sent === true ? 'sent' : 'not-verified';
  };

  const runCommand = async (o: { argv: readonly string[]; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<CommandResult> => {
    if (o.argv.length === 0) return { kind: 'failed-to-run', error: new RangeError('Expected a non-empty argv') };
    try {
      const r = await client.run(`exec ${o.argv.map(shq).join(' ')} </dev/null >/dev/null 2>&1\n`, { timeoutMs: Math.max(1, o.timeoutMs), signal: o.signal });
      // sh's 127/126: not found / not executable on the host.
      if (r.exitCode === 127 || r.exitCode === 126) return { kind: 'failed-to-run', error: new RuntimeError(`${o.argv[0] ?? ''}: not found or not executable on ${where}`) };
      return { kind: 'exited', code: r.exitCode };
    } catch (error) {
      if (error instanceof HostUnreachableError && error.kind === 'timeout') return { kind: 'timed-out' };
      if (o.signal?.aborted === true) return { kind: 'timed-out' };
      throw error;
    }
  };

  const ctx: RuntimeContext = {
    layout,
    table,
    launcher: { argv: (conf, extra) => [qvmPath, `@${conf}`, ...extra], env: {}, isQvm, resolveCommand: (argv) => [...argv] },
    env: {},
    tuning,
    log,
    sendSignal,
    runCommand,
  };

  // What this adapter started or last saw: where each run's console output begins.
  const startedHere = new Map<string, IdentityRecord>();
  const consoleOffsetOf = async (name: string, pid: number): Promise<number> => {
    const known = [startedHere.get(name), last?.interpreted.identities.get(name)].find((id) => id?.pid === pid);
    if (known !== undefined) return known.consoleOffset;
    const identity = (await observe()).identities.get(name);
    return identity?.pid === pid ? identity.consoleOffset : 0;
  };

  const start = async (spec: GuestSpec): Promise<ObservedGuest> => {
    forget();
    const name = spec.name;
    const dir = layout.guestDir(name);
    const runId = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    const confPath = layout.confFile(name, spec.configHash);
    const startedAt = Date.now();
    const argv = ctx.launcher.argv(confPath, spec.extraArgs);
    const lockTries = Math.max(1, Math.ceil(tuning.lockTimeoutMs / 50));
    const spawnTries = Math.max(1, Math.ceil(tuning.spawnTimeoutMs / 20));
    const recordTries = Math.max(1, Math.ceil(tuning.exitRecordTimeoutMs / 20));
    // How a run that ended at once is reported: its exit record (waited for) and its console output.
    const END_OF_RUN = `n=0
while [ $n -lt ${recordTries} ] && [ ! -f "$G/run-$RUN.exit.json" ]; do n=$((n + 1)); nap 0.02; done
if [ -f "$G/run-$RUN.exit.json" ]; then echo "\${M}exit"; dump "$G/run-$RUN.exit.json"; fi
echo "\${M}console"; tail -c +$((off + 1)) "$G/console.log" 2>/dev/null | tail -n 20
echo "\${M}ended"
`;
    // The writes the pass left (restart histories, acknowledgements, compaction) ride on this script
    // after the launch, in a subshell of their own: they do not delay qvm, and one that fails does not
    // fail a start that happened (the exits stay unacknowledged and the next pass folds them again,
    // which changes nothing). A start that did not launch leaves them for the pass's next script.
    const carried = pending;
    pending = [];
    const afterLaunch = carried.length === 0 ? '' : `(\n${carried.join('')}) || echo "\${M}unsaved"\n`;
    // The monitor's content is compared once per connection (one process); later starts only check
    // that it is there as a file (docs/remote.md, "Start is one round trip").
    const monitorCheck = monitorChecked
      ? `[ -f "$SD/monitor.sh" ] && [ ! -L "$SD/monitor.sh" ]\n`
      : heredoc('cmp -s "$SD/monitor.sh" - 2>/dev/null', MONITOR_SCRIPT);
    // Few processes: on a host where each costs milliseconds they are most of a start's time.
    const body = `M=${shq(MARK)}
SD=${shq(sd)}; G=${shq(dir)}; RUN=${shq(runId)}; CONF=${shq(confPath)}
[ -d "$G" ] || mkdir -p "$G" || exit 10
# trust_sd left the state directory's mode in _tsm.
case $_tsm in drwx------*) ;; *) chmod 700 "$SD" || exit 10 ;; esac
for f in "$G" "$G/console.log"; do [ -L "$f" ] && { untrusted "$f" 'is a symbolic link, which qvmctl never writes through' "rm $f"; exit 11; }; done
${monitorCheck}if [ $? -ne 0 ]; then
${heredoc('  put "$SD/.monitor.sh.$$"', MONITOR_SCRIPT)}  chmod 700 "$SD/.monitor.sh.$$" && mv -f "$SD/.monitor.sh.$$" "$SD/monitor.sh" || exit 10
fi
take_lock "$G/start.lock" ${lockTries}; case $? in 0) ;; 1) exit 3 ;; *) exit 10 ;; esac
trap 'drop_lock "$G/start.lock"' EXIT
# The last moment before launch, under the lock: no start gets past a host shutdown's fence.
[ -e "$SD/${FENCE_FILE}" ] && { echo "\${M}fenced"; exit 5; }
# Any qvm whose config lies in this guest's directory, recorded or not (its monitor aside), and
# the console log's size (where this run's output begins): two processes at once, both under the
# lock. $O is a file in the shell's private directory; wc's output goes there first, so a log that
# is not there leaves it empty.
{ wc -c > "$O" < "$G/console.log"; } 2>/dev/null &
_wp=$!
running=$(qvm_in ${shq(`[@]${escapeBre(dir)}/`)} "$SD/monitor.sh")
wait $_wp
[ -n "$running" ] && { echo "\${M}running $running"; exit 4; }
off=; [ -f "$G/console.log" ] && read -r off < "$O"
set -- $off; case \${1:-} in ''|*[!0-9]*) off=0 ;; *) off=$1 ;; esac
# Named by its content's hash: a config already there is this one.
[ -f "$CONF" ] || { ${heredoc('put "$CONF"', spec.qvmconf).trimEnd()}
} || exit 10
[ -e "$G/stop-request" ] && rm -f "$G/stop-request"
printf '{"runId":"%s","confPath":"%s","configHash":"%s","startedAt":%s,"consoleOffset":%s}\\n' "$RUN" "$CONF" ${shq(spec.configHash)} ${startedAt} "$off" > "$G/run-$RUN.launch.json.tmp.$$" && mv -f "$G/run-$RUN.launch.json.tmp.$$" "$G/run-$RUN.launch.json" || exit 10
set -m
sh "$SD/monitor.sh" "$G" "$RUN" ${argv.map(shq).join(' ')} </dev/null >/dev/null 2>&1 &
set +m
# qvm's PID is waited for in the background, which holds the start lock until the identity is
# written (or the wait gave up), so this shell is free for other scripts at once.
trap - EXIT
(
  trap 'drop_lock "$G/start.lock"' EXIT
  pid=; start=; n=0
  while [ $n -lt ${spawnTries} ]; do
    [ -f "$G/run-$RUN.exit.json" ] && break
    pid=; read -r pid < "$G/run-$RUN.pid" 2>/dev/null
    case $pid in ''|*[!0-9]*) pid= ;; *)
      pstart "$pid" && start=$PSTART && proc_has "$pid" "@$CONF" && break ;;
    esac
    start=; n=$((n + 1)); nap 0.02
  done
  [ -n "$start" ] && printf '{"name":"%s","runId":"%s","pid":%s,"processStart":"%s","configHash":"%s","confPath":"%s","startedAt":%s,"consoleOffset":%s}\\n' \\
    ${shq(name)} "$RUN" "$pid" "$start" ${shq(spec.configHash)} "$CONF" ${startedAt} "$off" > "$G/identity.json.tmp.$$" && mv -f "$G/identity.json.tmp.$$" "$G/identity.json"
) </dev/null >/dev/null 2>&1 &
echo "\${M}launched $off"
${afterLaunch}exit 0
`;
    let r: { stdout: string; exitCode: number; stderr: string };
    try {
      r = await sh(`${TRUST}${body}`, tuning.lockTimeoutMs + ROUND_TRIP_TIMEOUT_MS);
    } catch (error) {
      pending = [...carried, ...pending];
      throw error;
    }
    const sections = parseSections(r.stdout, MARK);
    const tag = (t: string): { arg: string; body: string } | undefined => sections.find((s) => s.tag === t);
    if (tag('launched') === undefined) pending = [...carried, ...pending];
    else monitorChecked = true;
    if (tag('unsaved') !== undefined) {
      const said = r.stderr.trim().split('\n').at(-1) ?? '';
      log({ level: 'warn', msg: `could not save restart histories or acknowledge exits in ${sd} on ${where}${said === '' ? '' : ` (${said})`}; the next pass folds those exits again`, guest: name });
    }
    refuseUntrusted(r);
    const runningPid = tag('running');
    if (runningPid !== undefined) throw new GuestAlreadyRunningError(name, Number(runningPid.arg));
    if (tag('fenced') !== undefined) throw new FencedError(name);
    if (r.exitCode === 3) throw new LockBusyError(`${where}${dir}/start.lock`, Number(/@@busy (\d+)/.exec(r.stdout)?.[1] ?? 0) || undefined);
    if (r.exitCode === 10) throw writeFailure(`start guest ${name}`, r.stderr, r.exitCode);
    if (tag('launched') === undefined) throw new RuntimeError(`${where}: the start of guest ${name} did not complete: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}`);
    // The identity the host's waiter writes once qvm runs, or the exit record of a run that ended first.
    const identityFile = layout.identityFile(name);
    const exitFile = layout.exitFile(name, runId);
    const spawnDeadline = Date.now() + tuning.spawnTimeoutMs + 5_000;
    let identity: IdentityRecord | undefined;
    let endedFirst = false;
    while (identity === undefined && !endedFirst && Date.now() < spawnDeadline) {
      const [id, ex] = await Promise.all([beat({ kind: 'read', files: [identityFile] }), beat({ kind: 'read', files: [exitFile] })]);
      const recorded = parseIdentity(name, parseJson(id.text));
      if (recorded?.runId === runId) identity = recorded;
      else if (ex.text !== undefined) endedFirst = true;
      else await delay(20);
    }
    let ended: Section[] = [];
    if (identity !== undefined) {
      startedHere.set(name, identity);
      log({ level: 'info', msg: 'started qvm', guest: name, pid: identity.pid });
      // qvm that rejects its configuration (65) or fails before the guest starts (64) ends at once.
      const deadline = Date.now() + tuning.startGraceMs;
      let alive = true;
      while (alive && Date.now() < deadline) {
        const now = (await table.get(identity.pid))?.start;
        alive = now !== undefined && sameStart(now, identity.processStart);
        if (alive) await delay(Math.min(20, Math.max(0, deadline - Date.now())));
      }
      if (alive) return { name, pid: identity.pid, processStart: identity.processStart, configHash: spec.configHash, startedAt, ready: false, stopping: false };
    }
    if (identity !== undefined || endedFirst) {
      const afterwards = await sh(`M=${shq(MARK)}\nG=${shq(dir)}; RUN=${shq(runId)}; off=${identity?.consoleOffset ?? Number(tag('launched')?.arg ?? 0)}\n${END_OF_RUN}`);
      ended = parseSections(afterwards.stdout, MARK);
    }
    const endTag = (t: string): { arg: string; body: string } | undefined => ended.find((x) => x.tag === t);
    const raw = parseMonitorExit(parseJson(endTag('exit')?.body));
    const exit = raw === undefined ? undefined : toExitRecord(name, raw);
    if (endTag('ended') !== undefined) throw new GuestStartError(name, exit?.code ?? null, exit?.signal ?? null, (endTag('console')?.body ?? '').trimEnd());
    throw new RuntimeError(`${where}: qvm for guest ${name} did not appear within ${tuning.spawnTimeoutMs} ms (see ${layout.consoleLog(name)} on the host)`);
  };

  const readRunExit = async (name: string, runId: string): Promise<ExitRecord | undefined> => {
    const file = layout.exitFile(name, runId);
    const consumed = `${layout.consumedExitsDir(name)}/run-${runId}.exit.json`;
    const raw = parseMonitorExit(parseJson((await beat({ kind: 'read', files: [file, consumed] })).text));
    return raw === undefined ? undefined : toExitRecord(name, raw);
  };

  const waitReady = async (spec: GuestSpec, guest: ObservedGuest, signal?: AbortSignal): Promise<boolean> => {
    const alive = (): Promise<boolean> => isSameProcess(table, guest.pid, guest.processStart);
    const readiness = spec.readiness;
    const deadlineOf = (ms: number): number => Date.now() + ms;
    const stopped = (): boolean => signal?.aborted === true;
    let ready = false;
    switch (readiness.kind) {
      case 'none':
        ready = await alive();
        break;
      case 'uptime': {
        const until = guest.startedAt + readiness.minUptimeMs;
        while (!stopped() && Date.now() < until && (await alive())) await delay(Math.min(tuning.pollMs * 4, Math.max(0, until - Date.now())), signal);
        ready = !stopped() && Date.now() >= until && (await alive());
        break;
      }
      case 'log': {
        // The console log is read on the host from where this run began, in the same tick as qvm's liveness.
        const pattern = new RegExp(readiness.pattern);
        const deadline = deadlineOf(readiness.timeoutMs);
        const path = layout.consoleLog(spec.name);
        let offset = await consoleOffsetOf(spec.name, guest.pid);
        let carry = '';
        if (offset < 0) {
          // This run began before the last rotation: its first lines are at the end of console.log.1.
          const r = await trustedSh(`f=${shq(generationPath(path, 1))}\n[ -f "$f" ] && tail -c ${-offset} "$f"\nexit 0\n`);
          const lines = r.stdout.split('\n');
          carry = lines.pop() ?? '';
          offset = 0;
          if (lines.some((line) => pattern.test(line))) {
            ready = await alive();
            break;
          }
        }
        while (!stopped() && Date.now() < deadline) {
          const answer = await tick({ pid: guest.pid, log: { path, offset } });
          if (answer.log !== undefined) {
            const lines = (carry + answer.log.text).split('\n');
            carry = lines.pop() ?? '';
            offset = answer.log.size;
            if (lines.some((line) => pattern.test(line)) || pattern.test(carry)) { ready = answer.start !== undefined && sameStart(answer.start, guest.processStart); break; }
          }
          if (answer.start === undefined || !sameStart(answer.start, guest.processStart)) break;
          await delay(Math.min(tuning.pollMs, Math.max(0, deadline - Date.now())), signal);
        }
        break;
      }
      case 'command': {
        const deadline = deadlineOf(readiness.timeoutMs);
        while (!stopped() && Date.now() < deadline) {
          if (!(await alive())) break;
          const result = await runCommand({ argv: readiness.argv, timeoutMs: Math.max(1, deadline - Date.now()), signal });
          if (result.kind === 'exited' && result.code === 0) { ready = await alive(); break; }
          await delay(Math.min(readiness.intervalMs, Math.max(0, deadline - Date.now())), signal);
        }
        break;
      }
    }
    if (ready) {
      // Remembered on the host, so a qvmctl that adopts the guest knows it was ready. Not waited for:
      // the guests that need this one start now (the beat's timer keeps this process until it ran).
      const known = [startedHere.get(spec.name), seen.get(spec.name)].find((id) => id?.pid === guest.pid && id.processStart === guest.processStart);
      if (known !== undefined && known.readyAt === undefined) {
        const file = layout.identityFile(spec.name);
        void beat({ kind: 'write', dir: layout.guestDir(spec.name), file: file.slice(file.lastIndexOf('/') + 1), line: JSON.stringify({ ...known, readyAt: Date.now() }), ifHolds: `"runId":"${known.runId}"` }).catch(() => undefined);
      }
    }
    return ready;
  };

  const stop = async (name: string, shutdown: ShutdownSpec, guest: ObservedGuest, hooks?: StopHooks): Promise<StopOutcome> => {
    // The run id comes from what this adapter started or last saw of this very process; a look only
    // when it knows neither (a stop is one round trip, not one look per guest).
    const matches = (id: IdentityRecord | undefined): boolean => id?.pid === guest.pid && id.processStart === guest.processStart;
    const identity = [startedHere.get(name), seen.get(name)].find(matches) ?? (await observe()).identities.get(name);
    forget();
    const runId = identity?.pid === guest.pid && identity.processStart === guest.processStart ? identity.runId : undefined;
    // Marks the coming exit as requested: the monitor reads this when qvm ends. The ladder's first
    // look rides on the same beat; nothing is asked of the guest before the mark is written.
    const stopRequest = layout.stopRequest(name);
    // Written in place (no mv: a process less in each hand-off of a shutdown): the monitor takes
    // anything but this very PID for no request, and the signal is sent only once the line is there.
    const mark = { dir: layout.guestDir(name), file: stopRequest.slice(stopRequest.lastIndexOf('/') + 1), line: String(guest.pid) };
    const target = {
      pid: guest.pid,
      processStart: guest.processStart,
      guestCommand: shutdown.guestCommand,
      readExit: runId === undefined || guest.monitorLost === true ? undefined : () => readRunExit(name, runId),
    };
    // A ladder that signals first sends its first signal in the beat that writes the mark (the
    // signal only once the mark is written). Else the mark goes at once, in the beat of the
    // ladder's first look, and nothing is asked of the guest before it is written.
    let marked: Promise<void> | undefined;
    const markNow = (): Promise<void> => (marked ??= beat({ kind: 'write', ...mark, inPlace: true })
      .then((answer) => { if (answer.failed !== undefined) throw markFailed(answer.failed); }));
    if (!signalsFirst(target, shutdown)) markNow().catch(() => undefined);
    const afterMark: RuntimeContext = {
      ...ctx,
      sendSignal: async (o) => {
        if (marked !== undefined) {
          await marked;
          return sendSignal(o);
        }
        const riding = sendSignal(o, mark);
        // A failed mark fails this signal (its caller sees it) and every later step that waits for it.
        const done = riding.then(() => undefined);
        done.catch(() => undefined);
        marked = done;
        return riding;
      },
      runCommand: async (o) => { await markNow(); return runCommand(o); },
    };
    return runStopLadder(afterMark, target, shutdown, hooks);
  };

  const stopUnmanaged = (process: UnmanagedProcess, shutdown: ShutdownSpec, hooks?: StopHooks): Promise<StopOutcome> =>
    runStopLadder(ctx, { pid: process.pid, processStart: process.processStart, guestCommand: undefined, readExit: undefined }, shutdown, hooks);

  const acknowledgeExits = async (exits: readonly ExitRecord[]): Promise<void> => {
    // A process costs milliseconds on a small host: the directories are made by one mkdir and the
    // run files removed by one rm for all exits, so a shutdown's 50 acknowledgements start 52 processes, not 150.
    const dirs = new Set<string>();
    const moves: string[] = [];
    const runFiles: string[] = [];
    for (const exit of exits) {
      if (exit.runId === undefined || !isRunId(exit.runId)) continue;
      const dir = layout.consumedExitsDir(exit.name);
      const from = layout.exitFile(exit.name, exit.runId);
      const to = `${dir}/run-${exit.runId}.exit.json`;
      const pid = layout.pidFile(exit.name, exit.runId);
      dirs.add(dir);
      // The exit record keeps its name in the consumed directory.
      moves.push(exit.unrecorded === undefined
        ? `[ -f ${shq(from)} ] && { mv -f ${shq(from)} ${shq(dir)}/ || exit 10; }`
        : `[ -f ${shq(to)} ] || { ${putText(to, toMonitorJson(exit))} || exit 10; }`);
      // The PID file and the launch record are needed only to adopt a run that has not ended (the
      // record holds the PID): gone with its acknowledgement, so they do not pile up.
      runFiles.push(pid, pid.replace(/\.pid$/, '.launch.json'));
    }
    if (moves.length === 0) return;
    await persist('acknowledge exit records', [
      `set --; for d in ${[...dirs].map(shq).join(' ')}; do [ -d "$d" ] || set -- "$@" "$d"; done; [ $# -eq 0 ] || mkdir -p "$@" || exit 10`,
      inLanes(moves),
      `set --; for f in ${runFiles.map(shq).join(' ')}; do [ -e "$f" ] && set -- "$@" "$f"; done; [ $# -eq 0 ] || rm -f "$@"`,
      '',
    ].join('\n'));
  };

  // Compaction (docs/runtime.md, "Compaction"): what the guest directories no longer need is told by
  // the look of this pass; `exits/` is selected on the host by the same rule (compactScript). The
  // removals ride on the pass's next script, after the acknowledgements they follow.
  let swept = false;
  const compactRuns = async (request: CompactionRequest): Promise<void> => {
    const snap = fresh();
    // Without this pass's look the identity's run is not known, and its record must stay.
    if (snap === undefined) return;
    const wanted = new Set(request.guests);
    const guests = snap.files.filter((g) => !swept || wanted.has(g.name));
    swept = true;
    const script = compactScript({ layout, guests, keep: request.keep, configHashes: request.configHashes });
    if (script !== '') await persist('remove run records no guest needs', script);
  };

  /** A write of the pass: left for its next script inside a pass, run at once outside one. */
  const persist = async (what: string, script: string): Promise<void> => {
    if (passes > 0) pending.push(`{\n${script}:\n} || exit 10\n`);
    else await mustSh(what, `${script}exit 0\n`);
  };
  /** Runs the writes left for a next script that did not come. */
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await mustSh('save restart histories and acknowledge exits', 'exit 0\n');
  };

  const writeJson = (what: string, file: string, value: unknown): Promise<string> =>
    mustSh(what, `${MAKE_SD}${putText(`${sd}/${file}`, formatJson(value))} || exit 10\n`);

  const state: HostState = {
    async readFence() {
      const snap = fresh();
      if (snap !== undefined) return snap.fence;
      // In the beat: the fence watch of a pass asks often. Only a look (the start script checks the
      // fence again, trusted and under the guest's lock, right before each launch).
      const text = (await beat({ kind: 'read', files: [`${sd}/${FENCE_FILE}`] })).text;
      if (text === undefined) return undefined;
      const { parseFence } = await import('../state/host-state.js');
      return parseFence(text);
    },
    async raiseFence(fence) {
      forget();
      // A fence goes up for a host shutdown, whose next step is the pass lock: its shell opens
      // while the fence is written instead of after it.
      lockShell.warm();
      await writeJson('raise the fence', FENCE_FILE, fence);
    },
    async liftFence() {
      forget();
      await mustSh('lift the fence', `rm -f ${shq(`${sd}/${FENCE_FILE}`)}\n`);
    },
    async loadOrphans() {
      const snap = fresh();
      if (snap !== undefined) return snap.orphans;
      const r = await trustedSh(`[ -f ${shq(`${sd}/${ORPHANS_FILE}`)} ] && dump ${shq(`${sd}/${ORPHANS_FILE}`)}\nexit 0\n`);
      const { parseOrphans } = await import('../state/host-state.js');
      return parseOrphans(parseJson(r.stdout));
    },
    async saveOrphans(orphans) {
      forget();
      await writeJson('save orphan times', ORPHANS_FILE, formatOrphans(orphans));
    },
    async loadHistories(names) {
      const snap = fresh();
      const { parseHistory } = await import('../state/history.js');
      const result = new Map<string, GuestHistory>();
      const missing: string[] = [];
      for (const name of names) {
        const known = snap?.interpreted.histories.get(name);
        if (known !== undefined) result.set(name, known);
        else if (snap !== undefined) result.set(name, parseHistory(name, undefined));
        else missing.push(name);
      }
      if (missing.length > 0) {
        const r = await trustedSh(`M=${shq(MARK)}\n${missing.map((n) => `echo "\${M}h ${n}"; [ -f ${shq(layout.historyFile(n))} ] && dump ${shq(layout.historyFile(n))}`).join('\n')}\nexit 0\n`);
        for (const s of parseSections(r.stdout, MARK)) result.set(s.arg, parseHistory(s.arg, parseJson(s.body)));
        for (const n of missing) if (!result.has(n)) result.set(n, parseHistory(n, undefined));
      }
      return result;
    },
    async saveHistories(histories) {
      if (histories.length === 0) return;
      // The last look's histories stay usable: these replace theirs.
      if (last !== undefined) {
        const updated = new Map(last.interpreted.histories);
        for (const h of histories) updated.set(h.name, h);
        last = { ...last, interpreted: { ...last.interpreted, histories: updated } };
      }
      await persist('save restart histories', `${inLanes(histories.map((h) => `[ -d ${shq(layout.guestDir(h.name))} ] || mkdir -p ${shq(layout.guestDir(h.name))} || exit 10\n${putText(layout.historyFile(h.name), formatJson(h))} || exit 10`))}\n`);
    },
    async writeShutdownRecord(record) {
      await writeJson('record the shutdown', SHUTDOWN_RECORD_FILE, record);
    },
    async readShutdownRecord() {
      // In the beat, like the fence: a look, no writes.
      const text = (await beat({ kind: 'read', files: [`${sd}/${SHUTDOWN_RECORD_FILE}`] })).text;
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    },
  };

  // A lock held by a script that runs on the host for as long as its session is open: when qvmctl
  // or the link goes away, the session ends and the script (or, if it was killed, the next taker
  // finding its PID gone) frees the lock.
  const holdLock = async (file: string, timeoutMs: number): Promise<LockRelease> => {
    const path = `${sd}/${file}`;
    const tries = Math.max(1, Math.ceil(timeoutMs / 50));
    const session = await client.session(`${prelude(await probe())}${TRUST}${MAKE_SD}
take_lock ${shq(path)} ${tries}; case $? in 0) ;; 1) exit 3 ;; *) exit 10 ;; esac
trap 'drop_lock ${shq(path)}' EXIT HUP TERM
echo "${MARK}locked"
while read -r _x; do :; done
exit 0
`);
    const locked = await new Promise<boolean>((resolve) => {
      session.onLine((line) => { if (line === `${MARK}locked`) resolve(true); });
      void session.ended.then(() => { resolve(false); });
    });
    if (!locked) {
      const r = await session.ended;
      refuseUntrusted(r);
      if (r.exitCode === 3) throw new LockBusyError(`${where}${path}`, Number(/busy (\d+)/.exec(r.stdout)?.[1] ?? 0) || undefined);
      if (r.exitCode === 255) throw unreachable(options.connection, where, r.stderr);
      throw writeFailure('take a lock', r.stderr, r.exitCode);
    }
    return {
      async release() {
        session.end();
        await session.ended;
      },
    };
  };

  // The pass lock, taken and dropped in a shell kept open for it: one round trip each (lock-shell.ts).
  const lockShell = createLockShell({
    client,
    prelude: async () => prelude(await probe()),
    stateDir: sd,
    where,
    fail: (status, output) => {
      if (status === 255) return unreachable(options.connection, where, output);
      refuseUntrusted({ exitCode: status, stderr: output });
      return writeFailure('take a lock', output, status);
    },
  });

  const watchExits = (onChange: () => void, onError: (error: unknown) => void): Watcher => {
    const watch = { closed: false };
    const open = (): boolean => !watch.closed;
    let current: { abandon(): void } | undefined;
    const loop = async (): Promise<void> => {
      while (open()) {
        try {
          const session = await client.session(`cd ${shq(layout.guestsDir)} 2>/dev/null || cd /
prev=; n=0
while :; do
  cur=
  for f in */run-*.exit.json; do [ -e "$f" ] && cur="$cur $f"; done
  [ "$cur" != "$prev" ] && [ -n "$cur" ] && echo changed
  prev=$cur
  # A beat now and then: once the session is gone, the write fails and the loop ends on the host.
  n=$((n + 1)); [ $((n % 5)) -eq 0 ] && echo .
  sleep ${EXIT_WATCH_INTERVAL_S} 2>/dev/null || sleep 1
done
`);
          current = session;
          session.onLine((line) => { if (line === 'changed') onChange(); });
          const r = await session.ended;
          if (open()) onError(new HostUnreachableError(where, 'unreachable', `${where}: the exit watch ended (${r.stderr.trim() || `exit ${r.exitCode}`}); watching again`));
        } catch (error) {
          if (open()) onError(error);
        }
        if (open()) await delay(1_000);
        // The link may have been lost meanwhile: a pass looks at everything again.
        if (open()) onChange();
      }
    };
    void loop();
    return {
      close: () => {
        watch.closed = true;
        // The watch reads no input: end the local client; the host's loop ends at its next beat.
        current?.abandon();
        return Promise.resolve();
      },
    };
  };

  const runHostCommand: HostCommandRunner = async (argv) => {
    if (argv.length === 0) return { exitCode: undefined, signal: undefined, detail: 'no host command configured' };
    const r = await client.run(`${argv.map(shq).join(' ')} </dev/null >/dev/null\n`).catch((error: unknown) => error as Error);
    if (r instanceof Error) {
      // A host that powers off takes the link with it.
      return { exitCode: undefined, signal: undefined, detail: `the link to ${where} closed: ${r.message}` };
    }
    const lastLine = r.stderr.trim().split('\n').at(-1);
    return { exitCode: r.exitCode, signal: undefined, detail: lastLine === '' ? undefined : lastLine };
  };

  // Rotation at a pass (docs/runtime.md, "Console logs"): the look told each log's size, so a pass
  // whose logs are all below the cap costs nothing more; otherwise one script rotates those over it.
  const rotateConsoleLogs = async (request: { readonly running: readonly ObservedGuest[]; readonly stopped: readonly string[]; readonly limits: ConsoleLogLimits }): Promise<readonly RotatedLog[]> => {
    const sizes = fresh()?.consoleSizes;
    const over = (name: string): boolean => sizes === undefined || (sizes.get(name) ?? 0) >= request.limits.maxSizeBytes;
    const runOf = (g: ObservedGuest): IdentityRecord | undefined => [startedHere.get(g.name), seen.get(g.name)].find((id) => id?.pid === g.pid && id.processStart === g.processStart);
    const calls = [
      ...request.running.filter((g) => over(g.name)).map((g) => `rot ${shq(g.name)} ${shq(runOf(g)?.runId ?? '')} 1`),
      ...request.stopped.filter(over).map((name) => `rot ${shq(name)} '' 0`),
    ];
    if (calls.length === 0) return [];
    const { maxSizeBytes: max, keep } = request.limits;
    const out = await mustSh('rotate console logs', `M=${shq(MARK)}; GS=${shq(layout.guestsDir)}
rot() {
  G="$GS/$1"; f="$G/console.log"
  [ -f "$f" ] && [ ! -L "$f" ] || return 0
  n=$(($(wc -c < "$f")))
  [ "$n" -ge ${max} ] || return 0
  rm -f "$f.${Math.max(1, keep)}"
  i=${keep - 1}; while [ $i -ge 1 ]; do [ -f "$f.$i" ] && mv -f "$f.$i" "$f.$((i + 1))"; i=$((i - 1)); done
  if [ "$3" != 1 ]; then
    # No qvm writes it: renamed whole.
    ${keep > 0 ? 'mv -f "$f" "$f.1"' : 'rm -f "$f"'} || return 1
  else
    # qvm appends (O_APPEND): copied, then truncated in place; the identity's offset follows.
    ${keep > 0 ? 'rm -f "$f.1.tmp"; head -c "$n" "$f" > "$f.1.tmp" && mv -f "$f.1.tmp" "$f.1" || return 1' : ':'}
    : > "$f" || return 1
    id="$G/identity.json"
    if [ -n "$2" ] && grep -qF "\\"runId\\":\\"$2\\"" "$id" 2>/dev/null; then
      off=$(sed -n 's/.*"consoleOffset":\\(-\\{0,1\\}[0-9]\\{1,\\}\\).*/\\1/p' "$id")
      case $off in ''|*[!0-9-]*) off=0 ;; esac
      sed "s/\\"consoleOffset\\":-\\{0,1\\}[0-9]\\{1,\\}/\\"consoleOffset\\":$((off - n))/" "$id" > "$id.tmp.$$" && mv -f "$id.tmp.$$" "$id"
    fi
  fi
  echo "\${M}rotated $1 $n"
}
${calls.join('\n')}
exit 0
`);
    const rotated = parseSections(out, MARK).filter((x) => x.tag === 'rotated').map((x) => {
      const [name = '', bytes = '0'] = x.arg.split(' ');
      return { name, bytes: Number(bytes) };
    });
    // What this adapter remembers of each run's console offset follows the host's identity records.
    const moved = new Map(rotated.map((r) => [r.name, r.bytes]));
    const shifted = (id: IdentityRecord): IdentityRecord => ({ ...id, consoleOffset: id.consoleOffset - (moved.get(id.name) ?? 0) });
    for (const g of request.running) {
      const id = startedHere.get(g.name);
      if (moved.has(g.name) && id !== undefined) startedHere.set(g.name, shifted(id));
    }
    seen = new Map([...seen].map(([name, id]) => [name, moved.has(name) ? shifted(id) : id]));
    if (last !== undefined) {
      const identities = new Map([...last.interpreted.identities].map(([name, id]) => [name, moved.has(name) ? shifted(id) : id]));
      last = { ...last, consoleSizes: undefined, interpreted: { ...last.interpreted, identities } };
    }
    return rotated;
  };

  // Read-only, in a session of their own: a log may be large, and following one lasts until Ctrl-C.
  const FOLLOW_BEAT = `${MARK}.`;
  const consoleLogs: ConsoleLogs = {
    async read(name, readOptions) {
      const file = generationPath(layout.consoleLog(name), readOptions.generation);
      const tail = readOptions.tailLines === undefined ? 'exec cat "$f"' : `exec tail -n ${Math.max(0, Math.floor(readOptions.tailLines))} "$f"`;
      const r = await client.run(`${prelude(await probe())}${TRUST}f=${shq(file)}\n[ -f "$f" ] || exit 3\n${tail}\n`);
      refuseUntrusted(r);
      if (r.exitCode === 3) return undefined;
      if (r.exitCode !== 0) throw new RuntimeError(`${where}: could not read ${file}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}`);
      return r.stdout;
    },
    async follow(name, followOptions) {
      const lines = followOptions.tailLines === undefined ? '' : ` | tail -n ${Math.max(0, Math.floor(followOptions.tailLines))}`;
      // A tail -F in sh: a rotation is seen by console.log's inode (renamed) or by its size falling
      // below what was read (copied and truncated); the rest is then read from console.log.1. A beat
      // line now and then ends the loop once the session is gone (its write fails).
      const session = await client.session(`${prelude(await probe())}${TRUST}f=${shq(layout.consoleLog(name))}; B=${shq(FOLLOW_BEAT)}
off=0; ino=
if [ -f "$f" ]; then off=$(($(wc -c < "$f"))); ino=$(ls -i "$f" 2>/dev/null); head -c "$off" "$f"${lines}; fi
n=0
while :; do
  if [ -f "$f" ]; then
    cur=$(ls -i "$f" 2>/dev/null); s=$(($(wc -c < "$f")))
    if [ "$cur" != "$ino" ] || [ "$s" -lt "$off" ]; then
      [ "$off" -gt 0 ] && [ -f "$f.1" ] && tail -c +$((off + 1)) "$f.1"
      off=0; ino=$cur
    fi
    if [ "$s" -gt "$off" ]; then tail -c +$((off + 1)) "$f" | head -c $((s - off)); off=$s; fi
  fi
  n=$((n + 1)); [ $((n % 25)) -eq 0 ] && echo "$B"
  nap 0.2
done
`);
      // A beat after a partial line ends that line's text without a line break of the log's own.
      session.onLine((line) => {
        if (line.endsWith(FOLLOW_BEAT)) {
          const text = line.slice(0, -FOLLOW_BEAT.length);
          if (text !== '') followOptions.onText(text);
        } else {
          followOptions.onText(`${line}\n`);
        }
      });
      const stop = (): void => { session.abandon(); };
      if (followOptions.signal.aborted) stop();
      else followOptions.signal.addEventListener('abort', stop, { once: true });
      const r = await session.ended;
      followOptions.signal.removeEventListener('abort', stop);
      if (followOptions.signal.aborted) return;
      refuseUntrusted(r);
      if (r.exitCode === 255) throw unreachable(options.connection, where, r.stderr);
      throw new RuntimeError(`${where}: following ${layout.consoleLog(name)} ended: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}`);
    },
  };

  return {
    client,
    where,
    consoleLogs,
    rotateConsoleLogs,
    compactRuns,
    stateDir: sd,
    state,
    observe: async () => (await observe()).observation,
    acknowledgeExits,
    start,
    waitReady,
    stop,
    stopUnmanaged,
    withPassLock: async (fn, lockOptions) => {
      const lock = await lockShell.take(`${sd}/${PASS_LOCK_FILE}`, lockOptions?.timeoutMs ?? PASS_LOCK_TIMEOUT_MS);
      passes += 1;
      try {
        const result = await fn();
        await flush();
        return result;
      } finally {
        passes -= 1;
        // A pass that failed drops the writes it did not make: the next one folds those exits again.
        if (passes === 0) pending = [];
        forget();
        await lock.release().catch(() => undefined);
      }
    },
    lockDaemon: () => holdLock(layout.processLock.slice(sd.length + 1), 0),
    watchExits,
    runHostCommand,
    close: () => {
      lockShell.close();
      return client.close();
    },
  };
}

export type { ProcessEntry };
