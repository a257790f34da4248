// Polling with a deadline: the runtime watches processes and files it does not own, so it polls.

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Checks again at once when this resolves (a hint such as a file appearing, file-wake.ts). */
  readonly wake?: Promise<void> | undefined;
}

// After a wake, what it announced may still be a step away (the monitor renames its PID file just
// before it execs qvm): checks follow closely for a short while, then at the interval again.
const AFTER_WAKE_INTERVAL_MS = 2;
const AFTER_WAKE_WINDOW_MS = 100;

/** Resolves true as soon as `check` returns true, false at the deadline or on abort. */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let wokeAt: number | undefined;
  void options.wake?.then(() => { wokeAt = Date.now(); });
  for (;;) {
    if (options.signal?.aborted === true) return false;
    if (await check()) return true;
    const now = Date.now();
    const left = deadline - now;
    if (left <= 0) return false;
    const closely = wokeAt !== undefined && now - wokeAt < AFTER_WAKE_WINDOW_MS;
    await delay(Math.min(closely ? AFTER_WAKE_INTERVAL_MS : options.intervalMs, left), options.signal, wokeAt === undefined ? options.wake : undefined);
  }
}

/** Waits `ms`, or less on abort or when `wake` resolves first; the timer never outlives the wait. */
export function delay(ms: number, signal?: AbortSignal, wake?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    signal?.addEventListener('abort', end, { once: true });
    void wake?.then(end);
  });
}
