// The one reconcile loop every trigger feeds: single-flight (one pass at a time) with at most one
// pending pass, so any number of triggers during a pass coalesce into exactly one more pass.
// Triggers are only wake-ups: the pass never learns which one came (it re-reads everything).

export type Trigger = 'startup' | 'manifest' | 'exit' | 'resync' | 'requeue' | 'manual';

export interface PassOutcome {
  /** Epoch ms when the plan wants the next pass at the latest (a hold lifts), if any. */
  readonly requeueAt: number | undefined;
}

export interface PassLoopOptions {
  /** Runs one pass; the triggers that led to it are for logs and metrics only. */
  readonly runPass: (triggers: readonly Trigger[]) => Promise<PassOutcome>;
  readonly now: () => number;
  /** Periodic resync after each pass. */
  readonly intervalMs: () => number;
  /** Quiet time after the last manifest change before a pass. */
  readonly debounceMs: () => number;
  /** A pass that throws is logged by runPass itself; this only hears about it. */
  readonly onError?: (error: unknown) => void;
}

export interface PassLoop {
  /** Asks for a pass as soon as possible. */
  request(trigger: Trigger): void;
  /** Asks for a pass once no further debounced request came for the debounce time. */
  requestDebounced(trigger: Trigger): void;
  /** Stops timers and takes no more requests; resolves once the running pass (if any) ends. */
  stop(): Promise<void>;
  /** The running pass, if any. */
  readonly busy: boolean;
  /** Resolves when no pass is running or pending (for tests and clean shutdowns). */
  idle(): Promise<void>;
}

// A debounced burst is flushed at the latest after this many debounce periods, so a directory that
// never stops changing is still reconciled.
const MAX_DEBOUNCE_FACTOR = 10;

export function createPassLoop(options: PassLoopOptions): PassLoop {
  let stopped = false;
  let current: Promise<void> | undefined;
  let pending: Trigger[] = [];
  let debounceTimer: NodeJS.Timeout | undefined;
  let debounceStartedAt: number | undefined;
  let debouncedTriggers: Trigger[] = [];
  let scheduleTimer: NodeJS.Timeout | undefined;
  const idleWaiters: (() => void)[] = [];


  const schedule = (requeueAt: number | undefined): void => {
    clearTimeout(scheduleTimer);
    scheduleTimer = undefined;
    if (stopped) return;
    const now = options.now();
    const resyncIn = options.intervalMs();
    const requeueIn = requeueAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, requeueAt - now);
    const trigger: Trigger = requeueIn < resyncIn ? 'requeue' : 'resync';
    const delay = Math.min(resyncIn, requeueIn);
    // A few ms past the hold's end, so the planner sees it lifted.
    scheduleTimer = setTimeout(() => { request(trigger); }, trigger === 'requeue' ? delay + 5 : delay);
    scheduleTimer.unref();
  };

  const drain = async (): Promise<void> => {
    while (pending.length > 0 && !stopped) {
      const triggers = [...new Set(pending)];
      pending = [];
      let requeueAt: number | undefined;
      try {
        ({ requeueAt } = await options.runPass(triggers));
      } catch (error) {
        options.onError?.(error);
      }
      schedule(requeueAt);
    }
    current = undefined;
    pending = [];
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const request = (...triggers: Trigger[]): void => {
    if (stopped) return;
    pending.push(...triggers);
    current ??= drain();
  };

  const requestDebounced = (trigger: Trigger): void => {
    if (stopped) return;
    debouncedTriggers.push(trigger);
    const now = options.now();
    debounceStartedAt ??= now;
    const wait = options.debounceMs();
    const latest = debounceStartedAt + wait * MAX_DEBOUNCE_FACTOR;
    clearTimeout(debounceTimer);
    debounceTimer = undefined;
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      debounceStartedAt = undefined;
      const triggers = debouncedTriggers;
      debouncedTriggers = [];
      // One request for the whole burst: requests one by one would start a pass and queue another.
      request(...triggers);
    }, Math.max(0, Math.min(wait, latest - now)));
  };

  return {
    request,
    requestDebounced,
    get busy() {
      return current !== undefined;
    },
    idle() {
      return current === undefined ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      clearTimeout(debounceTimer);
      debounceTimer = undefined;
      clearTimeout(scheduleTimer);
      scheduleTimer = undefined;
      pending = [];
      await current;
    },
  };
}
