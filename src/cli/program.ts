import { Command } from 'commander';

// The one error boundary: every command returns an exit code; nothing below cli/ prints or exits.
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('qvmctl')
    .description('Declarative orchestrator for QNX Hypervisor guests')
    .exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (isCommanderExit(error)) return error.exitCode;
    throw error;
  }
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return typeof error === 'object' && error !== null && 'exitCode' in error && typeof error.exitCode === 'number';
}
