// The ONE place in qvmctl that sends signals. Its type admits no SIGKILL (docs/runtime.md, "Signals"),
// and it re-verifies the target's identity (PID + start time) right before every signal.
import type { ProcessTable } from './proc-table/types.js';
import { isSameProcess } from './proc-table/types.js';

/** SIGTERM = power button, SIGQUIT = power cut, SIGUSR1 = log status, SIGUSR2 = guest dump. */
export type QvmSignal = 'SIGTERM' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2';

const ALLOWED: ReadonlySet<string> = new Set<QvmSignal>(['SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']);

export type SignalResult = 'sent' | 'not-verified';

export interface SendSignalOptions {
  readonly table: ProcessTable;
  readonly pid: number;
  /** Start time the PID must still have; otherwise the PID was reused or the process ended. */
  readonly processStart: string;
  readonly signal: QvmSignal;
}

// Sends only to a PID that still verifies; a PID that does not verify is never signalled.
export async function sendSignal(options: SendSignalOptions): Promise<SignalResult> {
  const { table, pid, processStart, signal } = options;
  if (!ALLOWED.has(signal)) throw new RangeError(`Expected one of ${[...ALLOWED].join(', ')}, got \`${signal as string}\``);
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`Expected a process id above 1, got \`${pid}\``);
  if (!(await isSameProcess(table, pid, processStart))) return 'not-verified';
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ESRCH') return 'not-verified';
    throw error;
  }
}
