// Errors the daemon throws. Each has a stable `name`; the original failure is the `cause`.

/** Another daemon holds the state directory (one daemon per state directory). */
export class DaemonAlreadyRunningError extends Error {
  override readonly name = 'DaemonAlreadyRunningError';
  constructor(readonly stateDir: string, readonly holderPid: number | undefined, options?: { cause?: unknown }) {
    super(`another qvmctl daemon${holderPid === undefined ? '' : ` (pid ${holderPid})`} already runs on state directory ${stateDir}`, options);
  }
}

/** A start the daemon refused because it is shutting down (the guest is left as it is). */
export class DaemonStoppingError extends Error {
  override readonly name = 'DaemonStoppingError';
  constructor() {
    super('the daemon is stopping: no new starts');
  }
}
