// The host shutdown as the daemon runs it (POST /shutdown, or the operator's shutdown signal): the
// same sequence as `qvmctl shutdown`, on the daemon's last good desired state, logged step by step.
// Single-flight: a request while one runs gets that run's result. The sequence raises the fence,
// which cuts the daemon's pass under way short (docs/shutdown.md, "Shutdown preempts").

import type { Logger } from 'pino';
import { runShutdownSequence, SHUTDOWN_TUNING, withUnmanagedPolicy, type ShutdownMode, type ShutdownResult } from '../executor/shutdown-sequence.js';
import type { DesiredState, UnmanagedPolicy } from '../model/host-spec.js';
import type { HostConnection } from '../model/host-spec.js';
import { createHost } from '../runtime/create-host.js';
import type { HostPort } from '../runtime/port.js';

export interface ShutdownRequest {
  readonly mode: ShutdownMode;
  readonly forceHost: boolean;
  /** `shutdown.unmanaged` for this run (a UPS trigger passes `stop`: docs/shutdown.md). */
  readonly unmanaged?: UnmanagedPolicy;
}

export class NoDesiredStateError extends Error {
  override readonly name = 'NoDesiredStateError';
  constructor() {
    super('no valid manifests have been loaded yet: the stop order and ladders are unknown');
  }
}

export interface ShutdownRunnerOptions {
  readonly stateDir: string;
  /** @default local */
  readonly connection?: HostConnection;
  readonly logger: Logger;
  /** The last good desired state, if any. */
  readonly desired: () => DesiredState | undefined;
  /** @default the host adapter with SHUTDOWN_TUNING */
  readonly runtimeFor?: (desired: DesiredState) => HostPort;
  /** Once per sequence that ran (not per request that joined it). */
  readonly onDone?: (result: ShutdownResult) => void;
}

export interface ShutdownRunner {
  /** Runs the sequence (or joins the one under way). Rejects with NoDesiredStateError before any manifest loaded. */
  run(request: ShutdownRequest): Promise<ShutdownResult>;
  readonly running: boolean;
  /** Resolves once no sequence runs (at once when none does). */
  idle(): Promise<void>;
}

export function createShutdownRunner(options: ShutdownRunnerOptions): ShutdownRunner {
  const log = options.logger.child({ component: 'shutdown' });
  let current: Promise<ShutdownResult> | undefined;
  const runtimeFor = options.runtimeFor
    ?? ((desired: DesiredState) => createHost({ host: { qvm: desired.host.qvm, connection: options.connection ?? { kind: 'local' }, stateDir: options.stateDir }, tuning: SHUTDOWN_TUNING }));

  const start = async (request: ShutdownRequest): Promise<ShutdownResult> => {
    const desired = options.desired();
    if (desired === undefined) throw new NoDesiredStateError();
    log.warn({ mode: request.mode, forceHost: request.forceHost, unmanaged: request.unmanaged }, 'host shutdown requested');
    const result = await runShutdownSequence({
      desired: withUnmanagedPolicy({ ...desired, host: { ...desired.host, stateDir: options.stateDir } }, request.unmanaged),
      runtime: runtimeFor(desired),
      mode: request.mode,
      forceHost: request.forceHost,
      hooks: {
        onFence: (fence, resumed) => { log.info({ fence, resumed }, resumed ? 'fence already up: resuming the shutdown' : 'fence raised'); },
        onPassLockBusy: (holderPid) => { log.warn({ holderPid }, 'a pass still holds the pass lock: stopping without waiting for it (the fence keeps it from starting anything)'); },
        onGuestStart: (step) => { log.info({ guest: step.guest, qvmPid: step.pid }, 'stopping'); },
        onLadderStep: (guest, step) => { log.info({ guest, step }, 'stop ladder step'); },
        onGuestEnd: (r) => { log[r.end === 'stopped' ? 'info' : 'error']({ guest: r.guest, end: r.end, step: r.step, exitCode: r.exitCode, elapsedMs: r.elapsedMs, blockedBy: r.blockedBy }, r.detail); },
        onHostCommand: (argv, forced) => { log.warn({ argv, forced }, 'running the host command'); },
      },
    });
    const summary = { status: result.status, blockers: result.blockers, host: result.host, elapsedMs: result.elapsedMs };
    if (result.ok) log.info(summary, 'host shutdown done');
    else log.error(summary, 'host shutdown did not complete');
    options.onDone?.(result);
    return result;
  };

  return {
    get running() {
      return current !== undefined;
    },
    run(request) {
      current ??= start(request).finally(() => { current = undefined; });
      return current;
    },
    async idle() {
      await current?.catch(() => undefined);
    },
  };
}
