// Errors the runtime throws. Each has a stable `name`; the original failure, if any, is the `cause`.

/** A guest name that is not a DNS label never becomes part of a path. */
export class InvalidGuestNameError extends Error {
  override readonly name = 'InvalidGuestNameError';
  constructor(readonly guest: string) {
    super(`Expected a guest name that is a DNS label (a-z, 0-9, '-', at most 63), got \`${guest}\``);
  }
}

/** A start was refused because a qvm for this guest already runs (at most one qvm per guest). */
export class GuestAlreadyRunningError extends Error {
  override readonly name = 'GuestAlreadyRunningError';
  constructor(readonly guest: string, readonly pid: number) {
    super(`Guest ${guest} already runs (qvm pid ${pid}); not starting a second qvm`);
  }
}

/** qvm ended during start (e.g. 65 configuration error, 64 fatal start-up error). */
export class GuestStartError extends Error {
  override readonly name = 'GuestStartError';
  constructor(
    readonly guest: string,
    readonly code: number | null,
    readonly signal: string | null,
    readonly consoleTail: string,
    options?: { cause?: unknown },
  ) {
    const how = code === null ? `was ended by ${signal ?? 'an unknown cause'}` : `exited with code ${code}`;
    super(`qvm for guest ${guest} ${how} while starting`, options);
  }
}

/**
 * The shutdown fence is up: no guest starts until an operator lifts it (docs/shutdown.md). Checked
 * under the guest's start lock, right before qvm would be launched, so no path can start one past it.
 */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor(readonly guest: string) {
    super(`the shutdown fence is up: guest ${guest} was not started (lift it with \`qvmctl fence --lift\`)`);
  }
}

/** A lock could not be taken before its deadline; `holderPid` holds it. */
export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  constructor(readonly path: string, readonly holderPid: number | undefined) {
    super(`Lock ${path} is held${holderPid === undefined ? '' : ` by pid ${holderPid}`}`);
  }
}

/** The runtime could not complete an operation on the host (spawn failure, state directory I/O). */
export class RuntimeError extends Error {
  override readonly name: string = 'RuntimeError';
}
