// The local adapter of the host port: qvmctl runs on the hypervisor host itself, with real qvm
// processes, or the bundled simulator through the same code path. Several instances (even in several processes) may share one state
// directory: everything they know is in it and in the process table, which is what makes adoption
// after a crash or upgrade of qvmctl work.
import { chmod } from 'node:fs/promises';
import type { GuestSpec, ShutdownSpec } from '../model/guest-spec.js';
import type { HostSpec } from '../model/host-spec.js';
import type { ObservedGuest, UnmanagedProcess } from '../model/observed.js';
import { DEFAULT_TUNING, type RuntimeContext, type RuntimeEvent, type RuntimeTuning } from './context.js';
import { crashPoint } from './crash-point.js';
import { compactLocalRuns } from './compact-runs.js';
import { followLocalConsoleLog, readLocalConsoleLog, rotateLocalConsoleLogs } from './console-log.js';
import { monitorScriptUpToDate } from './install-monitor.js';
import { MONITOR_SCRIPT } from './monitor-script.js';
import { observeGuests } from './observe-guests.js';
import type { HostPort, HostState, StopHooks, StopOutcome } from './port.js';
import { runHostCommand } from './host-command.js';
import { acknowledgeExit } from './state/exit-records.js';
import { createLocalHostState } from './state/host-state.js';
import { withLocalPassLock } from './state/pass-lock.js';
import { acquireProcessLock } from './state/process-lock.js';
import { watchLocalExitRecords } from './watch-exits.js';
import { createProcessTable } from './proc-table/select.js';
import type { ProcessTable } from './proc-table/types.js';
import { createQvmLauncher } from './qvm-command.js';
import { startGuest } from './start-guest.js';
import { ensureDir, writeFileAtomic } from './state/atomic-file.js';
import { readRunExit } from './state/exit-records.js';
import { readIdentity } from './state/identity.js';
import { createStateLayout } from './state/layout.js';
import { guardStateDir } from './state/state-dir-error.js';
import { checkStateDirTrust, refuseSymlink, withStateDir } from './state/trust.js';
import { runCommand } from './run-command.js';
import { sendSignal } from './signal.js';
import { watchForFiles } from './file-wake.js';
import { runStopLadder } from './stop-ladder.js';
import { waitGuestReady } from './wait-ready.js';

export interface HostRuntimeOptions {
  readonly host: Pick<HostSpec, 'qvm'>;
  /** Absolute path of the state directory (created with mode 0700). */
  readonly stateDir: string;
  /** Receives what the runtime does (adoptions, starts); the caller decides how to log it. */
  readonly onEvent?: (event: RuntimeEvent) => void;
  /** Extra environment for qvm and guest/readiness commands, on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Polling and timeouts; tests shorten them. */
  readonly tuning?: Partial<RuntimeTuning>;
  /** The process-table reader; by default the one for this OS. */
  readonly processTable?: ProcessTable;
}

export function createHostRuntime(options: HostRuntimeOptions): HostPort {
  const layout = createStateLayout(options.stateDir);
  const launcher = createQvmLauncher({ qvm: options.host.qvm, simDir: layout.simDir, stateDir: layout.root });
  const ctx: RuntimeContext = {
    layout,
    table: options.processTable ?? createProcessTable(),
    launcher,
    env: { ...stringEnv(process.env), ...options.env, ...launcher.env },
    tuning: { ...DEFAULT_TUNING, ...options.tuning },
    log: options.onEvent ?? (() => undefined),
    sendSignal,
    runCommand,
  };
  let prepared: Promise<void> | undefined;
  // The first compaction of this adapter covers every guest directory (what earlier runs left).
  let swept = false;
  // A failed preparation (e.g. a full disk) is tried again on the next call.
  const prepare = (): Promise<void> => (prepared ??= prepareStateDir(ctx).catch((error: unknown) => { prepared = undefined; throw error; }));
  // A full, read-only or blocked state directory is reported as such (StateDirError); one that is
  // not safe to use (StateDirTrustError) is refused before anything reads or writes it.
  const guarded = <T>(fn: () => Promise<T>): Promise<T> => guardStateDir(layout.root, async () => {
    try {
      await checkStateDirTrust(layout.root);
      return await fn();
    } catch (error) {
      throw withStateDir(error, layout.root);
    }
  });

  return {
    where: 'local',
    stateDir: layout.root,
    state: guardedState(createLocalHostState(layout.root), guarded),
    // Reads only: a state directory that does not exist is not created (the log is simply absent).
    consoleLogs: {
      read: (name, readOptions) => guarded(() => readLocalConsoleLog(layout, name, readOptions)),
      follow: (name, followOptions) => guarded(() => followLocalConsoleLog(layout, name, followOptions)),
    },
    rotateConsoleLogs: (request) => guarded(async () => {
      await prepare();
      return rotateLocalConsoleLogs(layout, request);
    }),
    // Once every guest has been swept, a pass that acknowledged nothing costs nothing (not even the trust check).
    compactRuns: async (request) => {
      if (swept && request.guests.length === 0) return;
      await guarded(async () => {
        await compactLocalRuns(ctx, { ...request, all: !swept });
        swept = true;
      });
    },
    // A look writes nothing, so it needs no prepared state directory (which may not exist yet).
    observe: () => guarded(() => observeGuests(ctx)),
    acknowledgeExits: (exits) => guarded(async () => {
      await Promise.all(exits.map((exit) => acknowledgeExit(layout, exit)));
    }),
    withPassLock: async (fn, lockOptions) => {
      await guarded(() => Promise.resolve());
      return withLocalPassLock({ stateDir: layout.root, table: ctx.table, timeoutMs: lockOptions?.timeoutMs }, fn);
    },
    lockDaemon: () => guarded(() => acquireProcessLock({ stateDir: layout.root, table: ctx.table })),
    watchExits: (onChange, onError) => watchLocalExitRecords({ stateDir: layout.root, onChange, onError }),
    runHostCommand,
    close: () => Promise.resolve(),
    start: (spec: GuestSpec) => guarded(async () => {
      await prepare();
      // The monitor appends qvm's output to console.log: never through a link placed there.
      await refuseSymlink(layout.guestDir(spec.name));
      await refuseSymlink(layout.consoleLog(spec.name));
      return startGuest(ctx, spec);
    }),
    waitReady: (spec: GuestSpec, guest: ObservedGuest, signal?: AbortSignal) => guarded(async () => {
      await prepare();
      return waitGuestReady(ctx, spec, guest, signal);
    }),
    stop: (name: string, shutdown: ShutdownSpec, guest: ObservedGuest, hooks?: StopHooks): Promise<StopOutcome> => guarded(async () => {
      await prepare();
      const identity = await readIdentity(layout, name);
      const runId = identity?.pid === guest.pid && identity.processStart === guest.processStart ? identity.runId : undefined;
      // Marks the coming exit as requested: the monitor reads this when qvm ends. The guest's
      // directory may be gone with its identity (a qvm identified again by its config path).
      await ensureDir(layout.guestDir(name));
      await writeFileAtomic(layout.stopRequest(name), `${guest.pid}\n`);
      crashPoint('stop:after-request-marker');
      return runStopLadder(
        ctx,
        {
          pid: guest.pid,
          processStart: guest.processStart,
          guestCommand: shutdown.guestCommand === undefined ? undefined : launcher.resolveCommand(shutdown.guestCommand),
          // Without its monitor no record will come: the next observe infers the (requested) exit.
          readExit: runId === undefined || guest.monitorLost === true ? undefined : () => readRunExit(layout, name, runId),
          watchEnd: runId === undefined || guest.monitorLost === true ? undefined : () => {
            const watch = watchForFiles(layout.guestDir(name), [layout.exitFile(name, runId)]);
            return { seen: watch.seen(layout.exitFile(name, runId)), close: () => { watch.close(); } };
          },
        },
        shutdown,
        hooks,
      );
    }),
    stopUnmanaged: (process: UnmanagedProcess, shutdown: ShutdownSpec, hooks?: StopHooks) => guarded(async () => {
      await prepare();
      const target = { pid: process.pid, processStart: process.processStart, guestCommand: undefined, readExit: undefined };
      return runStopLadder(ctx, target, shutdown, hooks);
    }),
  };
}

// Only for a port call that acts (never for a look): the trust check has passed for whatever
// exists; a state directory created here is checked again before it is made private.
async function prepareStateDir(ctx: RuntimeContext): Promise<void> {
  const { layout } = ctx;
  await ensureDir(layout.root);
  await checkStateDirTrust(layout.root);
  await chmod(layout.root, 0o700);
  await ensureDir(layout.guestsDir);
  if (ctx.launcher.env.QVM_SIM_DIR !== undefined) await ensureDir(layout.simDir);
  if (!(await monitorScriptUpToDate(layout.monitorScript))) await writeFileAtomic(layout.monitorScript, MONITOR_SCRIPT, 0o700);
}

/** Every read and write of the host state goes through the same trust check as the port's calls. */
function guardedState(state: HostState, guarded: <T>(fn: () => Promise<T>) => Promise<T>): HostState {
  return {
    readFence: () => guarded(() => state.readFence()),
    raiseFence: (fence) => guarded(() => state.raiseFence(fence)),
    liftFence: () => guarded(() => state.liftFence()),
    loadOrphans: () => guarded(() => state.loadOrphans()),
    saveOrphans: (orphans) => guarded(() => state.saveOrphans(orphans)),
    loadHistories: (names) => guarded(() => state.loadHistories(names)),
    saveHistories: (histories) => guarded(() => state.saveHistories(histories)),
    writeShutdownRecord: (record) => guarded(() => state.writeShutdownRecord(record)),
    readShutdownRecord: () => guarded(() => state.readShutdownRecord()),
  };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
