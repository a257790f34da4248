// A pass watches the shutdown fence while it acts (docs/shutdown.md, "Shutdown preempts"): the moment
// the fence goes up, the pass's signal fires, so readiness waits end and nothing new begins. A fence
// raised in this process (the daemon's own host shutdown) is heard at once; one raised by another
// process is noticed by a cheap look at the fence file every FENCE_POLL_MS.

import { setMaxListeners } from 'node:events';
import type { Fence } from '../model/fence.js';
import type { HostPort } from '../runtime/port.js';

/** How often a pass that still has starts to make looks at the fence file. */
export const FENCE_POLL_MS = 500;

/** The reason a pass's signal carries when the fence went up under it. */
export class FenceRaisedError extends Error {
  override readonly name = 'FenceRaisedError';
  constructor(readonly fence: Fence | undefined) {
    super('the shutdown fence went up');
  }
}

type Listener = (fence: Fence) => void;

// Passes in this process that watch a host, by the host's identity (where + state directory).
const watchers = new Map<string, Set<Listener>>();

const hostKey = (host: Pick<HostPort, 'where' | 'stateDir'>): string => `${host.where}\0${host.stateDir}`;

/** Tells every pass of this process on that host that the fence is up (called by whoever raised it). */
export function announceFence(host: Pick<HostPort, 'where' | 'stateDir'>, fence: Fence): void {
  for (const listener of [...(watchers.get(hostKey(host)) ?? [])]) listener(fence);
}

export interface FenceWatch {
  /** Fires (reason: FenceRaisedError) once the fence is up, or when `signal` fires (its reason). */
  readonly signal: AbortSignal;
  /** Stops watching; idempotent. */
  close(): void;
}

export function watchFence(host: Pick<HostPort, 'where' | 'stateDir' | 'state'>, options: { readonly pollMs?: number; readonly signal?: AbortSignal } = {}): FenceWatch {
  const controller = new AbortController();
  // Every readiness wait of a pass listens to it: a 50-guest start-up is not a leak.
  setMaxListeners(0, controller.signal);
  const key = hostKey(host);
  const pollMs = options.pollMs ?? FENCE_POLL_MS;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    const set = watchers.get(key);
    set?.delete(listener);
    if (set?.size === 0) watchers.delete(key);
    options.signal?.removeEventListener('abort', onOuterAbort);
  };
  const fire = (reason: unknown): void => {
    if (!controller.signal.aborted) controller.abort(reason);
    close();
  };
  const listener: Listener = (fence) => { fire(new FenceRaisedError(fence)); };
  const onOuterAbort = (): void => { fire(options.signal?.reason); };

  // One look at a time; a look that fails (a link down) is simply tried again: the runtime's own
  // check before each launch is the last line either way.
  const poll = (): void => {
    timer = setTimeout(() => {
      void host.state.readFence().then(
        (fence) => { if (fence !== undefined) fire(new FenceRaisedError(fence)); },
        () => undefined,
      ).finally(() => { if (!closed) poll(); });
    }, pollMs);
    timer.unref();
  };

  if (options.signal?.aborted === true) {
    fire(options.signal.reason);
  } else {
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const set = watchers.get(key) ?? new Set<Listener>();
    set.add(listener);
    watchers.set(key, set);
    poll();
  }
  return { signal: controller.signal, close };
}
