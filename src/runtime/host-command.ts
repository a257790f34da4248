// Runs the host's power-off or reboot command (e.g. `shutdown -b`): argv, no shell, never killed by
// us. The command may take the host down with it, so it gets no timeout.
import { loadExeca } from './load-execa.js';

export interface HostCommandResult {
  /** The command's exit code; undefined when it could not run or died by a signal. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** Why it could not run, or the last line it wrote to stderr when it failed. */
  readonly detail: string | undefined;
}

export type HostCommandRunner = (argv: readonly string[]) => Promise<HostCommandResult>;

export const runHostCommand: HostCommandRunner = async (argv) => {
  const [file, ...args] = argv;
  if (file === undefined) return { exitCode: undefined, signal: undefined, detail: 'no host command configured' };
  const { execa } = await loadExeca();
  const result = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    forceKillAfterDelay: false,
    cleanup: false,
  });
  const lastLine = result.stderr.trim().split('\n').at(-1);
  const failedToRun = result.exitCode === undefined && result.signal === undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    detail: failedToRun ? (result.cause instanceof Error ? result.cause.message : result.shortMessage) : lastLine === '' ? undefined : lastLine,
  };
};
