// The host shutdown's hold on the pass lock (docs/shutdown.md, "Shutdown preempts"). The sequence
// waits a short while for the lock, which a pass cut short by the fence gives up at once; when it is
// still held after that (a stop ladder of that pass runs to its end), the sequence goes on without
// it, as the fence already keeps every start from launching, and keeps trying to take it so that no
// further pass runs beside the rest of the sequence.

import { LockBusyError } from '../runtime/errors.js';
import type { HostPort } from '../runtime/port.js';

/** How long the shutdown waits for a pass under way to give up the pass lock before it goes on. */
export const PASS_LOCK_PREEMPT_MS = 1_000;
/** Each further try to take the lock while the sequence goes on without it. */
const RETRY_MS = 250;

export interface PassLockHold {
  /** Whether the lock was taken within the wait. */
  readonly held: boolean;
  /** The pid holding it when it was not (for messages). */
  readonly holderPid: number | undefined;
  /** Gives up the lock, or stops trying to take it (at most one try of RETRY_MS to wait out). */
  release(): Promise<void>;
}

export async function holdPassLock(runtime: Pick<HostPort, 'withPassLock'>, waitMs: number = PASS_LOCK_PREEMPT_MS): Promise<PassLockHold> {
  let letGo!: () => void;
  const released = new Promise<void>((resolve) => { letGo = resolve; });
  // One try: `taken` resolves once the lock is ours; `over` once it has been given up again (or the try failed).
  const attempt = (timeoutMs: number): { taken: Promise<void>; over: Promise<void> } => {
    let onTaken!: () => void;
    const taken = new Promise<void>((resolve) => { onTaken = resolve; });
    const over = runtime.withPassLock(async () => {
      onTaken();
      await released;
    }, { timeoutMs });
    return { taken, over };
  };

  const first = attempt(waitMs);
  const busy = await Promise.race([
    first.taken.then(() => undefined),
    // A busy lock is an answer; any other failure (an unusable state directory) is the caller's.
    first.over.then(() => undefined, (error: unknown) => {
      if (error instanceof LockBusyError) return error;
      throw error;
    }),
  ]);
  if (busy === undefined) {
    return { held: true, holderPid: undefined, release: async () => { letGo(); await first.over.catch(() => undefined); } };
  }

  const stop = new AbortController();
  const chase = (async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        await attempt(RETRY_MS).over;
        return;
      } catch (error) {
        if (!(error instanceof LockBusyError)) return;
      }
    }
  })();
  return {
    held: false,
    holderPid: busy.holderPid,
    release: async () => {
      stop.abort();
      letGo();
      await chase;
    },
  };
}
