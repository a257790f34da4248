import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerBundle } from './commands/bundle.js';
import { registerCompletion } from './commands/completion.js';
import { registerEvents } from './commands/events.js';
import { registerFence } from './commands/fence.js';
import { registerGraph } from './commands/graph.js';
import { registerLogs } from './commands/logs.js';
import { registerOneOff } from './commands/one-off.js';
import { registerPlan } from './commands/plan.js';
import { registerRelease } from './commands/release.js';
import { registerRender } from './commands/render.js';
import { registerRun } from './commands/run.js';
import { registerShutdown } from './commands/shutdown.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { registerWhy } from './commands/why.js';
import { HostUnreachableError } from '../runtime/ssh/errors.js';
import { StateDirError } from '../runtime/state/state-dir-error.js';
import { StateDirTrustError } from '../runtime/state/trust.js';
import { CliError, describeStateDirError } from './errors.js';
import { processOutput, type CommandResult, type Output } from './output.js';

// The one error boundary: commands set an exit code or throw; nothing below cli/ prints or exits.
export async function runCli(argv: readonly string[], io: Output = processOutput): Promise<number> {
  const result: CommandResult = { exitCode: 0 };
  const program = new Command('qvmctl')
    .description('Declarative orchestrator for QNX Hypervisor guests')
    .version(readVersion(), '-V, --version', 'print the qvmctl version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => { io.out(s); }, writeErr: (s) => { io.err(s); } });
  registerValidate(program, io, result);
  registerRender(program, io, result);
  registerPlan(program, io, result);
  registerApply(program, io, result);
  registerStatus(program, io, result);
  registerGraph(program, io, result);
  registerOneOff(program, io, result);
  registerRun(program, io, result);
  registerEvents(program, io, result);
  registerWhy(program, io, result);
  registerLogs(program, io, result);
  registerShutdown(program, io, result);
  registerFence(program, io, result);
  registerBundle(program, io, result);
  registerRelease(program, io, result);
  registerCompletion(program, io, result);
  try {
    await program.parseAsync([...argv]);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`qvmctl: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof StateDirError) {
      io.err(`qvmctl: ${describeStateDirError(error)}\n`);
      return 1;
    }
    if (error instanceof StateDirTrustError) {
      // Refused before anything was read or changed: the line names the path and the fix.
      io.err(`qvmctl: ${error.message}\n`);
      return 1;
    }
    if (error instanceof HostUnreachableError) {
      // Nothing was concluded about the guests: a distinct exit code lets scripts retry.
      io.err(`qvmctl: ${error.message}\n`);
      return UNREACHABLE_EXIT_CODE;
    }
    if (isCommanderExit(error)) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.err(`qvmctl: unexpected error: ${message}\n`);
    if (process.env['QVMCTL_DEBUG'] === '1' && error instanceof Error) io.err(`${error.stack ?? ''}\n`);
    else io.err('(set QVMCTL_DEBUG=1 for details)\n');
    return 1;
  }
}

/** The host could not be reached over ssh (docs/remote.md). */
export const UNREACHABLE_EXIT_CODE = 4;

// package.json sits two levels above this module, in the source tree and in the built one.
function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return typeof error === 'object' && error !== null && 'exitCode' in error && typeof error.exitCode === 'number';
}
