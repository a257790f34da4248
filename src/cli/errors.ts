// User-facing failures: the message is for people, the exit code for scripts. Never a stack trace.
import type { ExecutionResult } from '../executor/execute-plan.js';
import type { StateDirError, StateDirProblem } from '../runtime/state/state-dir-error.js';

import type { Diagnostic } from '../model/diagnostic.js';

/**
 * Every exit code qvmctl ends with, one table for `qvmctl --help` and docs/cli.md ("Exit codes").
 * A command uses only the rows that name it.
 */
export const EXIT_CODES: readonly (readonly [code: number, meaning: string])[] = [
  [0, 'success; plan --detailed-exitcode: no changes'],
  [1, 'error: invalid manifests or options, a failed step, an unusable state directory; nothing unsafe was done'],
  [2, 'plan --detailed-exitcode: there are changes; shutdown: blocked, a qvm still lives, the host command did not run'],
  [3, 'refused: the shutdown fence is up (apply, start, restart, release); shutdown refused (unmanaged qvm); no daemon runs (events, why)'],
  [4, 'the host could not be reached over ssh; nothing was concluded about its guests'],
];

/** Why a command failed, for scripts (the `reason` of a JSON Error document, docs/cli.md). */
export type ErrorReason = 'failed' | 'usage' | 'invalid-manifests' | 'not-found' | 'fenced' | 'no-daemon' | 'state-dir' | 'unreachable' | 'internal';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  readonly reason: ErrorReason;
  /** The manifest problems behind the error, shown with it. */
  readonly diagnostics: readonly Diagnostic[];

  constructor(message: string, options: { exitCode?: number; reason?: ErrorReason; diagnostics?: readonly Diagnostic[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
    this.reason = options.reason ?? (this.exitCode === FENCED_EXIT_CODE ? 'fenced' : 'failed');
    this.diagnostics = options.diagnostics ?? [];
  }
}

/**
 * `apply`, `start`, `restart`: the shutdown fence kept guests from starting — the plan was refused
 * before anything was done, or the fence went up while it ran (docs/shutdown.md).
 */
export const FENCED_EXIT_CODE = 3;

/** The host could not be reached over ssh (docs/remote.md). */
export const UNREACHABLE_EXIT_CODE = 4;

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
