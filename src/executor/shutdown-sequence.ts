// The hypervisor host shutdown (docs/shutdown.md): fence, stop every
// qvm in reverse dependency order, confirm none is alive, and only then run the host command. The
// fence is a file, so a qvmctl that dies mid-sequence leaves no guest starting again, and a rerun
// simply resumes: guests already gone count as stopped.
// The shutdown preempts (docs/shutdown.md, "Shutdown preempts"): raising the fence cuts short any
// pass under way, and the sequence waits at most PASS_LOCK_PREEMPT_MS for that pass's lock.

import { observeHost } from './observe-host.js';
import type { DesiredState, UnmanagedPolicy } from '../model/host-spec.js';
import type { ShutdownPlan } from '../planner/shutdown-plan.js';
import { createShutdownPlan } from '../planner/shutdown-plan.js';
import type { HostCommandResult, HostCommandRunner } from '../runtime/host-command.js';
import type { RuntimeTuning } from '../runtime/context.js';
import { crashPoint } from '../runtime/crash-point.js';
import type { Fence } from '../model/fence.js';
import type { Observation } from '../model/observed.js';
import type { HostPort } from '../runtime/port.js';
import { announceFence } from './fence-watch.js';
import { holdPassLock, PASS_LOCK_PREEMPT_MS } from './pass-lock-hold.js';
import { fallbackShutdown } from '../planner/shutdown-plan.js';
import { stopAll, type GuestShutdownResult, type ShutdownStopHooks } from './shutdown-stops.js';

/**
 * Runtime tuning for a runtime that runs the sequence: each poll interval is paid once per link of
 * the dependency chain (a dependency stops only once its dependents are seen gone), so poll faster.
 */
export const SHUTDOWN_TUNING: Partial<RuntimeTuning> = { pollMs: 10 };

export type ShutdownMode = 'poweroff' | 'reboot' | 'none';

export type ShutdownStatus =
  /** Every qvm ended and the host command ran (or `mode: none`). */
  | 'completed'
  /** A guest is stuck or a qvm still lives: the host command did not run (unless forced). */
  | 'blocked'
  /** `shutdown.unmanaged: refuse` and unmanaged qvm processes run: nothing was stopped. */
  | 'refused';

/** A qvm process still alive when the sequence confirmed (step 4). */
export interface AliveQvm {
  /** Guest name, or `pid:<pid>` for an unmanaged qvm. */
  readonly guest: string;
  readonly pid: number;
}

export interface HostCommandReport {
  readonly argv: readonly string[];
  readonly ran: boolean;
  /** Run although qvm processes were alive (`forceHost`). */
  readonly forced: boolean;
  readonly result: HostCommandResult | undefined;
  /** Why it did not run. */
  readonly reason: string | undefined;
}

export interface ShutdownResult {
  readonly status: ShutdownStatus;
  /** True only for `completed` with the host command (if any) exiting 0. */
  readonly ok: boolean;
  readonly fence: Fence;
  /** The fence was already up: this run resumed an earlier, interrupted sequence. */
  readonly resumed: boolean;
  readonly plan: ShutdownPlan;
  readonly guests: readonly GuestShutdownResult[];
  /** What kept the host command from running, in words, one per blocker (empty when none). */
  readonly blockers: readonly string[];
  readonly alive: readonly AliveQvm[];
  readonly host: HostCommandReport;
  /** Epoch ms the sequence began (this run: a resumed one begins again). */
  readonly startedAt: number;
  readonly elapsedMs: number;
}

export interface ShutdownHooks extends ShutdownStopHooks {
  onFence?(fence: Fence, resumed: boolean): void;
  /** A pass (of `holderPid`) still held the pass lock after the short wait: the sequence goes on beside it. */
  onPassLockBusy?(holderPid: number | undefined): void;
  onHostCommand?(argv: readonly string[], forced: boolean): void;
}

/** Stop rounds at most: the first, and more for qvm that appear after a look (see below). */
const MAX_STOP_ROUNDS = 3;

/**
 * The worst case a dry run shows (docs/shutdown.md, "Dry run"): the wait for a pass under way to give
 * up the pass lock, then the heaviest chain of stop ladders.
 */
export function shutdownWorstCase(plan: ShutdownPlan): { readonly worstCaseMs: number; readonly passLockWaitMs: number; readonly withinDeadline: boolean } {
  const worstCaseMs = PASS_LOCK_PREEMPT_MS + plan.criticalPathMs;
  return { worstCaseMs, passLockWaitMs: PASS_LOCK_PREEMPT_MS, withinDeadline: worstCaseMs <= plan.deadlineMs };
}

export interface ShutdownSequenceOptions {
  readonly desired: DesiredState;
  readonly runtime: HostPort;
  readonly mode: ShutdownMode;
  /** Run the host command even when a guest is stuck or a qvm still lives. @default false */
  readonly forceHost?: boolean;
  readonly hooks?: ShutdownHooks;
  /** @default the host port's: the argv on the host, no shell, never killed */
  readonly runHostCommand?: HostCommandRunner;
  /** @default Infinity */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/** The desired state with `shutdown.unmanaged` set for one run (`--unmanaged`, a UPS trigger: docs/shutdown.md). */
export function withUnmanagedPolicy(desired: DesiredState, policy: UnmanagedPolicy | undefined): DesiredState {
  if (policy === undefined) return desired;
  return { ...desired, host: { ...desired.host, shutdown: { ...desired.host.shutdown, unmanaged: policy } } };
}

export async function runShutdownSequence(options: ShutdownSequenceOptions): Promise<ShutdownResult> {
  const { runtime, mode, hooks = {} } = options;
  const now = options.now ?? Date.now;
  const started = now();
  // 1. Fence first: from now on no start launches (the runtime checks it right before each launch),
  // and a pass of this process that is under way is cut short at once (others within FENCE_POLL_MS).
  const existing = await runtime.state.readFence();
  // The reason says what the fence is for: after `--no-host` the host stays up with its guests down.
  const reason = mode === 'none' ? `guests stopped by a shutdown without the host (--no-host), pid ${process.pid}` : `host shutdown (${mode}) by pid ${process.pid}`;
  const fence = existing ?? { since: started, reason };
  if (existing === undefined) await runtime.state.raiseFence(fence);
  announceFence(runtime, fence);
  hooks.onFence?.(fence, existing !== undefined);
  crashPoint('shutdown:after-fence');

  // The pass lock, so that no pass acts beside the sequence; but not at the price of the deadline.
  const lock = await holdPassLock(runtime);
  if (!lock.held) hooks.onPassLockBusy?.(lock.holderPid);
  try {
    return await stopAndPowerOff({ ...options, fence, resumed: existing !== undefined, started, now });
  } finally {
    await lock.release();
  }
}

async function stopAndPowerOff(options: ShutdownSequenceOptions & { readonly fence: Fence; readonly resumed: boolean; readonly started: number; readonly now: () => number }): Promise<ShutdownResult> {
  const { desired, runtime, mode, hooks = {}, fence, now, started } = options;
  // What runs now; the guests' exits are folded once, at the end.
  const observed = await runtime.observe();
  const plan = createShutdownPlan({ desired, running: observed.guests, unmanaged: observed.unmanaged, fallbackShutdown: fallbackShutdown(desired.host) });
  const argv = mode === 'reboot' ? desired.host.shutdown.rebootCommand : desired.host.shutdown.command;
  const finish = async (rest: Omit<ShutdownResult, 'fence' | 'resumed' | 'plan' | 'startedAt' | 'elapsedMs'>): Promise<ShutdownResult> => {
    const result: ShutdownResult = { ...rest, fence, resumed: options.resumed, plan, startedAt: started, elapsedMs: now() - started };
    await runtime.state.writeShutdownRecord(result);
    return result;
  };

  if (plan.refused.length > 0) {
    // Nothing was stopped: leave the host as it was, unless an earlier run had fenced it already.
    if (!options.resumed) await runtime.state.liftFence();
    const pids = plan.refused.map((p) => p.pid).join(', ');
    return finish({
      status: 'refused', ok: false, guests: [], alive: plan.refused.map((p) => ({ guest: `pid:${p.pid}`, pid: p.pid })),
      blockers: [`unmanaged qvm process${plan.refused.length > 1 ? 'es' : ''} ${pids} (shutdown.unmanaged: refuse)`],
      host: { argv, ran: false, forced: false, result: undefined, reason: 'shutdown refused' },
    });
  }

  // 2 + 3. Managed guests in reverse dependency order; unmanaged qvm by policy.
  const stopRound = (round: ShutdownPlan, running: typeof observed): Promise<GuestShutdownResult[]> => stopAll({
    plan: round, guests: desired.guests, running: running.guests, unmanaged: running.unmanaged, runtime,
    fallbackShutdown: fallbackShutdown(desired.host), hooks, ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const guests = await stopRound(plan, observed);

  // 4. Confirm from a fresh look at the process table, not from what the ladders reported. The
  // exit records stay where the monitors wrote them until after the host command (below).
  // A qvm that was not there at the first look was launched by a start already past its fence
  // check as the fence went up (a pass the sequence did not wait for): it gets a round of its own.
  const seen = new Set([...observed.guests.map((g) => g.pid), ...observed.unmanaged.map((p) => p.pid)]);
  let after = await runtime.observe();
  for (let round = 1; round < MAX_STOP_ROUNDS; round++) {
    const late = { guests: after.guests.filter((g) => !seen.has(g.pid)), unmanaged: after.unmanaged.filter((p) => !seen.has(p.pid)) };
    if (late.guests.length === 0 && late.unmanaged.length === 0) break;
    for (const pid of [...late.guests.map((g) => g.pid), ...late.unmanaged.map((p) => p.pid)]) seen.add(pid);
    const extra = createShutdownPlan({ desired, running: late.guests, unmanaged: late.unmanaged, fallbackShutdown: fallbackShutdown(desired.host) });
    // Too late to refuse: an unmanaged qvm under `refuse` is left, and the confirmation names it.
    guests.push(...(await stopRound({ ...extra, refused: [] }, { ...after, ...late })));
    after = await runtime.observe();
  }
  const alive: AliveQvm[] = [
    ...after.guests.map((g) => ({ guest: g.name, pid: g.pid })),
    ...after.unmanaged.map((p) => ({ guest: `pid:${p.pid}`, pid: p.pid })),
  ];
  const blockers = describeBlockers(guests, alive);

  // 5. The host command only once no qvm lives, or when the operator forces it.
  const blocked = alive.length > 0;
  const forced = blocked && options.forceHost === true;
  const reason = mode === 'none' ? 'not requested'
    : argv.length === 0 ? `no ${mode === 'reboot' ? 'reboot' : 'host'} command configured`
    : blocked && !forced ? `qvm still alive: ${alive.map((a) => a.guest).join(', ')}`
    : undefined;
  const status: ShutdownStatus = blocked ? 'blocked' : 'completed';
  let result: HostCommandResult | undefined;
  if (reason === undefined) {
    // Recorded first: a host command that works takes this process down with the host.
    await finish({ status, ok: false, guests, blockers, alive, host: { argv, ran: true, forced, result: undefined, reason: undefined } });
    crashPoint('shutdown:before-host-command');
    hooks.onHostCommand?.(argv, forced);
    result = await (options.runHostCommand ?? runtime.runHostCommand)(argv);
  }
  const hostOk = reason !== undefined ? mode === 'none' : result?.exitCode === 0;
  // Without a host command, the confirmation's look is as fresh as another would be.
  await foldExits({ runtime, desired, observation: reason === undefined ? undefined : after });
  return finish({
    status, ok: status === 'completed' && hostOk, guests, blockers, alive,
    host: { argv, ran: reason === undefined, forced, result, reason },
  });
}

// The guests' exits into their restart histories, once the host command has had its turn: a host
// that powers off first loses nothing, as the records stay on disk for the first look after boot.
// The histories are bookkeeping; failing to write them does not change how the sequence ended.
async function foldExits(options: { readonly runtime: HostPort; readonly desired: DesiredState; readonly observation: Observation | undefined }): Promise<void> {
  const { observation, ...rest } = options;
  await observeHost({ ...rest, persist: true, ...(observation === undefined ? {} : { observation }) }).catch(() => undefined);
}

// Stuck guests first (they are the cause), then what they blocked, then whatever else still lives.
function describeBlockers(guests: readonly GuestShutdownResult[], alive: readonly AliveQvm[]): string[] {
  const lines: string[] = [];
  const named = new Set<string>();
  for (const g of guests.filter((r) => r.end === 'stuck' || r.end === 'failed')) {
    lines.push(`${g.guest} (pid ${g.pid}) ${g.detail}`);
    named.add(g.guest);
  }
  for (const g of guests.filter((r) => r.end === 'blocked')) {
    lines.push(`${g.guest} (pid ${g.pid}) not stopped: waits for ${g.blockedBy ?? 'a dependent'}`);
    named.add(g.guest);
  }
  for (const g of guests.filter((r) => r.end === 'left')) {
    lines.push(`unmanaged qvm pid ${g.pid} left running (shutdown.unmanaged: leave)`);
    named.add(g.guest);
  }
  for (const a of alive.filter((x) => !named.has(x.guest))) lines.push(`${a.guest} (pid ${a.pid}) is still alive`);
  return lines;
}
