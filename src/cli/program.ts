import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { HostUnreachableError } from '../runtime/ssh/errors.js';
import { StateDirError } from '../runtime/state/state-dir-error.js';
import { StateDirTrustError } from '../runtime/state/trust.js';
import { CliError, describeStateDirError, EXIT_CODES, UNREACHABLE_EXIT_CODE } from './errors.js';
import { createCliOutput, processOutput, type CliOutput, type CommandResult, type Output } from './output.js';

type Register = (program: Command, io: CliOutput, result: CommandResult) => void;

/**
 * Every command, in the order `--help` lists them, and the module that registers it. A run loads
 * only the module of the command it names (all of them for `--help` or a word that names none), so
 * `status` does not pay for the daemon, the shutdown sequence or the release code
 * (docs/architecture.md, "Start-up").
 */
const COMMANDS: readonly { readonly names: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { names: ['validate'], load: async () => (await import('./commands/validate.js')).registerValidate },
  { names: ['render'], load: async () => (await import('./commands/render.js')).registerRender },
  { names: ['plan'], load: async () => (await import('./commands/plan.js')).registerPlan },
  { names: ['apply'], load: async () => (await import('./commands/apply.js')).registerApply },
  { names: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  { names: ['graph'], load: async () => (await import('./commands/graph.js')).registerGraph },
  { names: ['start', 'stop', 'restart'], load: async () => (await import('./commands/one-off.js')).registerOneOff },
  { names: ['run'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['events'], load: async () => (await import('./commands/events.js')).registerEvents },
  { names: ['why'], load: async () => (await import('./commands/why.js')).registerWhy },
  { names: ['logs'], load: async () => (await import('./commands/logs.js')).registerLogs },
  { names: ['shutdown'], load: async () => (await import('./commands/shutdown.js')).registerShutdown },
  { names: ['fence'], load: async () => (await import('./commands/fence.js')).registerFence },
  { names: ['bundle'], load: async () => (await import('./commands/bundle.js')).registerBundle },
  { names: ['release'], load: async () => (await import('./commands/release.js')).registerRelease },
  { names: ['completion', '__complete'], load: async () => (await import('./commands/completion.js')).registerCompletion },
];

/** The commands a command line needs: the one its first word names, or every one. */
function commandsFor(argv: readonly string[]): typeof COMMANDS {
  // The program itself has no option that takes a value, so the first word is the command.
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  // A completion script describes every command.
  if (word === 'completion') return COMMANDS;
  const named = COMMANDS.filter((c) => word !== undefined && c.names.includes(word));
  return named.length > 0 ? named : COMMANDS;
}

// The one error boundary: commands set an exit code or throw; nothing below cli/ prints or exits.
// Every failure ends here as one line (or, with `-o json`, one Error document on stderr) and an
// exit code from EXIT_CODES.
export async function runCli(argv: readonly string[], output: Output = processOutput): Promise<number> {
  const result: CommandResult = { exitCode: 0 };
  // Known from the command line before commander parses it, so its own usage errors are JSON too;
  // then taken from the parsed options of the command that runs.
  let json = asksForJson(argv);
  const io = createCliOutput(output, () => json);
  const program = new Command('qvmctl')
    .description('Declarative orchestrator for QNX Hypervisor guests')
    .version(readVersion(), '-V, --version', 'print the qvmctl version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.out(s); },
      writeErr: (s) => { io.err(s); },
      // Usage errors are reported below, as every other error is.
      outputError: () => undefined,
    })
    .addHelpText('after', exitCodeHelp())
    .hook('preAction', (_program, action) => { json = action.opts<{ output?: unknown }>().output === 'json'; });
  try {
    for (const register of await Promise.all(commandsFor(argv).map((c) => c.load()))) register(program, io, result);
    await program.parseAsync([...argv]);
    return result.exitCode;
  } catch (error) {
    return reportError(io, toCliError(error));
  }
}

/** What went wrong, as the user sees it: every error type qvmctl knows, mapped once. */
function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0 and nothing to add.
    const message = error.exitCode === 0 ? '' : error.message.replace(/^error: /, '');
    return new CliError(message, { exitCode: error.exitCode, reason: 'usage', cause: error });
  }
  if (error instanceof StateDirError) return new CliError(describeStateDirError(error), { reason: 'state-dir', cause: error });
  // Refused before anything was read or changed: the line names the path and the fix.
  if (error instanceof StateDirTrustError) return new CliError(error.message, { reason: 'state-dir', cause: error });
  // Nothing was concluded about the guests: a distinct exit code lets scripts retry.
  if (error instanceof HostUnreachableError) return new CliError(error.message, { exitCode: UNREACHABLE_EXIT_CODE, reason: 'unreachable', cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`unexpected error: ${message}`, { reason: 'internal', cause: error });
}

function reportError(io: CliOutput, error: CliError): number {
  if (error.message === '') return error.exitCode;
  const internal = error.reason === 'internal';
  const stack = internal && process.env['QVMCTL_DEBUG'] === '1' && error.cause instanceof Error ? error.cause.stack : undefined;
  if (io.json) {
    for (const d of error.diagnostics) io.diagnostic(d);
    io.errDocument('Error', { exitCode: error.exitCode, reason: error.reason, message: error.message, ...(stack === undefined ? {} : { stack }) });
    return error.exitCode;
  }
  for (const d of error.diagnostics) io.diagnostic(d);
  io.err(`qvmctl: ${error.message}\n`);
  if (stack !== undefined) io.err(`${stack}\n`);
  else if (internal) io.err('(set QVMCTL_DEBUG=1 for details)\n');
  return error.exitCode;
}

/** `-o json`, `-ojson`, `--output json`, `--output=json` before a `--`. */
function asksForJson(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  return options.some((a, i) => a === '-ojson' || a === '--output=json' || ((a === '-o' || a === '--output') && options[i + 1] === 'json'));
}

function exitCodeHelp(): string {
  return `\nExit codes:\n${EXIT_CODES.map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n')}\n`;
}

// package.json sits two levels above this module, in the source tree and in the built one.
function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
