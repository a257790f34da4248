// What a qvm exit code means, in words (docs/planner.md, "Exit policy").

import type { UnrecordedCause } from '../model/observed.js';
import type { ExitClass } from '../planner/exit-policy.js';

const MEANINGS: Readonly<Record<number, string>> = {
  0: 'guest shut down or rebooted',
  3: 'power cut',
  4: 'watchdog',
  5: 'unsupported operation',
  6: 'unexpected vdev error',
  7: 'unexpected error',
  64: 'fatal error before the guest started',
  65: 'configuration error',
  96: 'fatal error after the guest started',
};

export interface ExitToDescribe {
  readonly code: number | null;
  readonly signal: string | null;
  /** The class the restart policy gave it (classifyExit). */
  readonly meaning: ExitClass;
  /** No monitor recorded it: qvmctl inferred it (ExitRecord.unrecorded). */
  readonly unrecorded?: UnrecordedCause | undefined;
}

export const MONITOR_LOST = 'monitor lost: qvm runs unwatched, its exit will not be recorded (qvmctl infers it when qvm is gone)';
/** An inferred exit in words (ExitRecord.unrecorded). */
export function describeUnrecorded(cause: UnrecordedCause): string {
  return cause === 'host-down' ? 'exit not recorded (the host went down)' : 'exit not recorded (monitor lost)';
}

export function describeExit(exit: ExitToDescribe): string {
  // The monitor knows that qvmctl had asked for a stop, not which signal ended it (a power cut sent by
  // hand during a stuck stop is one too): the words say no more than that.
  const requested = exit.meaning === 'requested' ? ', after qvmctl asked it to stop' : '';
  if (exit.unrecorded === 'host-down') return describeUnrecorded(exit.unrecorded);
  if (exit.unrecorded !== undefined) return `${describeUnrecorded(exit.unrecorded)}${exit.meaning === 'requested' ? ', after a stop by qvmctl' : ', counted as a failure'}`;
  if (exit.code === null) return `killed by ${exit.signal ?? 'a signal'}${requested}`;
  const userDefined = exit.code >= 32 && exit.code <= 63 ? (exit.meaning === 'requested' ? 'user-defined' : exit.meaning) : undefined;
  return `${exit.code} (${userDefined ?? MEANINGS[exit.code] ?? 'unknown code'}${requested})`;
}
