// Runs a guest shutdown or readiness command: argv, no shell, bounded by a timeout. A command that
// ignores the timeout's SIGTERM is not waited for (the ladder or the check moves on).
import { loadExeca } from './load-execa.js';

export type CommandResult =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'failed-to-run'; readonly error: unknown };

export interface RunCommandOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const [file, ...args] = options.argv;
  if (file === undefined) return { kind: 'failed-to-run', error: new RangeError('Expected a non-empty argv') };
  const { execa } = await loadExeca();
  const child = execa(file, args, {
    env: options.env,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
    reject: false,
    timeout: Math.max(1, options.timeoutMs),
    forceKillAfterDelay: false,
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => { resolve('late'); }, options.timeoutMs + 1_000);
  });
  try {
    const result = await Promise.race([child, late]);
    if (result === 'late' || result.timedOut || result.isCanceled) return { kind: 'timed-out' };
    if (result.exitCode === undefined) {
      return result.signal === undefined ? { kind: 'failed-to-run', error: result.cause ?? result } : { kind: 'exited', code: 128 };
    }
    return { kind: 'exited', code: result.exitCode };
  } finally {
    clearTimeout(timer);
  }
}
