// User-facing failures: the message is for people, the exit code for scripts. Never a stack trace.
import type { ExecutionResult } from '../executor/execute-plan.js';
import type { StateDirError, StateDirProblem } from '../runtime/state/state-dir-error.js';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * `apply`, `start`, `restart`: the shutdown fence kept guests from starting — the plan was refused
 * before anything was done, or the fence went up while it ran (docs/shutdown.md).
 */
export const FENCED_EXIT_CODE = 3;

/** One line when the fence went up while the plan ran and kept steps from beginning (or cut a readiness wait). */
export function describeFencedSteps(execution: ExecutionResult): string | undefined {
  const fenced = execution.fenced ?? [];
  if (fenced.length === 0) return undefined;
  const steps = fenced.map((s) => `${s.kind} ${s.guest}`).join(', ');
  return `the shutdown fence went up while this ran: ${steps} cut short (see above); lift it with \`qvmctl fence --lift\` once the host stays up`;
}

const STATE_DIR_HINTS: Readonly<Record<StateDirProblem, string>> = {
  ENOSPC: 'free space or choose another with --state-dir',
  EDQUOT: 'free space or choose another with --state-dir',
  EROFS: 'remount it read-write or choose another with --state-dir',
  EACCES: 'check its owner and permissions or choose another with --state-dir',
  EPERM: 'check its owner and permissions or choose another with --state-dir',
  ENOTDIR: 'move what is in the way or choose another with --state-dir',
  EEXIST: 'move what is in the way or choose another with --state-dir',
};

/** One line for an unusable state directory: what, where, and what to do. */
export function describeStateDirError(error: StateDirError): string {
  return `${error.message}; ${STATE_DIR_HINTS[error.code]}`;
}
