// What every runtime operation needs: the state layout, the process table, how qvm is launched.
import type { ProcessTable } from './proc-table/types.js';
import type { QvmLauncher } from './qvm-command.js';
import type { CommandResult, RunCommandOptions } from './run-command.js';
import type { SendSignalOptions, SignalResult } from './signal.js';
import type { StateLayout } from './state/layout.js';

export interface RuntimeEvent {
  readonly level: 'debug' | 'info' | 'warn';
  readonly msg: string;
  readonly guest?: string;
  readonly pid?: number;
}

export interface RuntimeTuning {
  /** How often processes and files are polled. @default 50 */
  readonly pollMs: number;
  /** How long start waits for another start of the same guest to finish. @default 30000 */
  readonly lockTimeoutMs: number;
  /** How long start waits for the monitor to report qvm's PID. @default 10000 */
  readonly spawnTimeoutMs: number;
  /** After qvm is seen running, how long start still watches for an immediate exit (65, 64). @default 500 */
  readonly startGraceMs: number;
  /** After qvm ends, how long to wait for the monitor's exit record. @default 3000 */
  readonly exitRecordTimeoutMs: number;
}

export const DEFAULT_TUNING: RuntimeTuning = {
  pollMs: 50,
  lockTimeoutMs: 30_000,
  spawnTimeoutMs: 10_000,
  startGraceMs: 500,
  exitRecordTimeoutMs: 3_000,
};

export interface RuntimeContext {
  readonly layout: StateLayout;
  readonly table: ProcessTable;
  readonly launcher: QvmLauncher;
  /** Environment of qvm, monitors and guest/readiness commands (process env + host additions). */
  readonly env: Readonly<Record<string, string>>;
  readonly tuning: RuntimeTuning;
  readonly log: (event: RuntimeEvent) => void;
  /** Sends a signal to a process that still verifies (signal.ts: never SIGKILL). */
  readonly sendSignal: (options: SendSignalOptions) => Promise<SignalResult>;
  /** Runs a guest or readiness command on the host. */
  readonly runCommand: (options: RunCommandOptions) => Promise<CommandResult>;
}
