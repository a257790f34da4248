// Where the CLI writes: injected so commands stay testable and nothing else touches the console.

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The exit code a command chose; commander actions cannot return one. */
export interface CommandResult {
  exitCode: number;
}
