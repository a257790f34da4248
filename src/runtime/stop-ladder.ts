// The stop ladder (docs/runtime.md, "Stop ladder"): guest command → SIGTERM (power button) → SIGQUIT (power
// cut, only where allowed) → `stuck`. Every signal goes through sendSignal, which re-verifies the
// PID and start time first; a process that no longer verifies has ended.
import type { ShutdownSpec } from '../model/guest-spec.js';
import type { ExitRecord } from '../model/observed.js';
import type { StopHooks, StopOutcome, StopStep } from './port.js';
import type { RuntimeContext } from './context.js';
import { crashPoint } from './crash-point.js';
import { pollUntil } from './poll.js';
import { isSameProcess } from './proc-table/types.js';

export interface StopTarget {
  readonly pid: number;
  readonly processStart: string;
  /** Guest command argv, already resolved for this host; undefined skips the first step. */
  readonly guestCommand: readonly string[] | undefined;
  /** Reads the monitor's exit record once the process has ended; undefined for unmanaged qvm. */
  readonly readExit: (() => Promise<ExitRecord | undefined>) | undefined;
  /**
   * Set up before the first step: a hint that the process has ended (its monitor's exit record
   * appeared), so a wait ends when it does rather than at the next poll (file-wake.ts).
   */
  readonly watchEnd?: (() => EndWatch) | undefined;
}

export interface EndWatch {
  readonly seen: Promise<void>;
  close(): void;
}

export async function runStopLadder(ctx: RuntimeContext, target: StopTarget, shutdown: ShutdownSpec, hooks?: StopHooks): Promise<StopOutcome> {
  const end = target.watchEnd?.();
  try {
    return await ladder(ctx, target, shutdown, hooks, end?.seen);
  } finally {
    end?.close();
  }
}

async function ladder(ctx: RuntimeContext, target: StopTarget, shutdown: ShutdownSpec, hooks: StopHooks | undefined, ended: Promise<void> | undefined): Promise<StopOutcome> {
  const started = Date.now();
  const alive = (): Promise<boolean> => isSameProcess(ctx.table, target.pid, target.processStart);
  const waitGone = async (timeoutMs: number): Promise<boolean> =>
    pollUntil(async () => !(await alive()), { timeoutMs, intervalMs: ctx.tuning.pollMs, wake: ended });
  const stopped = async (step: StopStep | 'already-gone'): Promise<StopOutcome> => {
    const elapsedMs = Date.now() - started;
    hooks?.onGone?.();
    return { result: 'stopped', step, exit: await waitForExit(ctx, target, ended), elapsedMs };
  };

  // When the first step is a signal, the signal's own check (PID and start time, right before it is
  // sent) is the first look: a process already gone is not signalled, and the ladder ends as
  // already gone, as after a look of its own, one round trip sooner on a remote host.
  const signalFirst = signalsFirst(target, shutdown);
  if (!signalFirst && !(await alive())) return stopped('already-gone');

  if (target.guestCommand !== undefined && target.guestCommand.length > 0) {
    hooks?.onStep?.('guest-command');
    const result = await ctx.runCommand({ argv: target.guestCommand, env: ctx.env, timeoutMs: shutdown.guestTimeoutMs });
    ctx.log({ level: 'debug', msg: `guest command: ${result.kind}${result.kind === 'exited' ? ` ${result.code}` : ''}`, pid: target.pid });
    // A command that could not even run asked nothing of the guest: go on to the power button at once.
    const left = shutdown.guestTimeoutMs - (Date.now() - started);
    if (result.kind !== 'failed-to-run' && (await waitGone(Math.max(0, left)))) return stopped('guest-command');
    if (!(await alive())) return stopped('guest-command');
  }

  // Only a graceful power button is a controlled stop. An ignored one does nothing (and a second
  // press ends a QNX guest at once); an abrupt one is a power cut and needs the same consent, which
  // the SIGQUIT below asks for. Either way the button is not pressed (docs/shutdown.md).
  if (shutdown.powerButton === 'graceful') {
    // A step is told once it is taken on a process known to live: before the signal when an
    // earlier look or step showed it alive, after it when the signal was the first look.
    if (!signalFirst) hooks?.onStep?.('power-button');
    if ((await ctx.sendSignal({ table: ctx.table, pid: target.pid, processStart: target.processStart, signal: 'SIGTERM' })) === 'not-verified') {
      return stopped(target.guestCommand === undefined ? 'already-gone' : 'guest-command');
    }
    if (signalFirst) hooks?.onStep?.('power-button');
    crashPoint('stop:after-power-button');
    if (await waitGone(shutdown.powerButtonTimeoutMs)) return stopped('power-button');
  }

  if (!shutdown.allowPowerCut) return { result: 'stuck', lastStep: lastTried(target, shutdown) ?? 'none', elapsedMs: Date.now() - started };

  const cutFirst = signalFirst && shutdown.powerButton !== 'graceful';
  if (!cutFirst) hooks?.onStep?.('power-cut');
  if ((await ctx.sendSignal({ table: ctx.table, pid: target.pid, processStart: target.processStart, signal: 'SIGQUIT' })) === 'not-verified') {
    return stopped(lastTried(target, shutdown) ?? 'already-gone');
  }
  if (cutFirst) hooks?.onStep?.('power-cut');
  if (await waitGone(shutdown.powerCutTimeoutMs)) return stopped('power-cut');
  return { result: 'stuck', lastStep: 'power-cut', elapsedMs: Date.now() - started };
}

/**
 * Whether the ladder's first step is a signal (no guest command; the power button, or the power cut
 * where that is the only step): its first look is then the signal's own check.
 */
export function signalsFirst(target: Pick<StopTarget, 'guestCommand'>, shutdown: Pick<ShutdownSpec, 'powerButton' | 'allowPowerCut'>): boolean {
  const asksGuest = target.guestCommand !== undefined && target.guestCommand.length > 0;
  return !asksGuest && (shutdown.powerButton === 'graceful' || shutdown.allowPowerCut);
}

/** The last step the ladder took before the power cut; undefined when it took none. */
function lastTried(target: StopTarget, shutdown: ShutdownSpec): StopStep | undefined {
  if (shutdown.powerButton === 'graceful') return 'power-button';
  return target.guestCommand !== undefined && target.guestCommand.length > 0 ? 'guest-command' : undefined;
}

async function waitForExit(ctx: RuntimeContext, target: StopTarget, ended: Promise<void> | undefined): Promise<ExitRecord | undefined> {
  const read = target.readExit;
  if (read === undefined) return undefined;
  let exit: ExitRecord | undefined;
  await pollUntil(async () => (exit = await read()) !== undefined, {
    timeoutMs: ctx.tuning.exitRecordTimeoutMs,
    intervalMs: ctx.tuning.pollMs,
    wake: ended,
  });
  return exit;
}
