// Polling with a deadline: the runtime watches processes and files it does not own, so it polls.

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** Resolves true as soon as `check` returns true, false at the deadline or on abort. */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted === true) return false;
    if (await check()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await delay(Math.min(options.intervalMs, left), options.signal);
  }
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
