// Runs the built qvmctl CLI as a real process, as a user would.
import { cp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { makeTempDir } from './temp-dir.js';

export const CLI_MAIN = resolve(import.meta.dirname, '..', '..', 'dist', 'bin', 'qvmctl.js');
export const EXAMPLE_MANIFESTS = resolve(import.meta.dirname, '..', '..', 'manifests');

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runQvmctl(args: readonly string[], options: { readonly env?: Record<string, string> } = {}): Promise<CliRun> {
  const result = await execa(process.execPath, [CLI_MAIN, ...args], { reject: false, env: { NO_COLOR: '1', ...options.env }, stdin: 'ignore', timeout: 120_000, forceKillAfterDelay: false });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The CLI's one entry point, `runCli`, called in this process with its output captured: for tests of
 * parsing and output, at a fraction of a process's start-up, and on the source (no build needed).
 * What a process adds (the bundle, signals, the exit code as a process's) stays with `runQvmctl`.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliRun> {
  const { runCli } = await import('../../src/cli/program.js');
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(['node', 'qvmctl', ...args], { out: (text) => { stdout += text; }, err: (text) => { stderr += text; } });
  // As execa gives a process's output: without the last newline.
  return { exitCode, stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, '') };
}

/** A private copy of the example fleet and an empty state directory for it. */
export async function copyExampleFleet(): Promise<{ readonly root: string; readonly manifests: string; readonly stateDir: string }> {
  const root = await makeTempDir('fleet');
  const manifests = join(root, 'manifests');
  await cp(EXAMPLE_MANIFESTS, manifests, { recursive: true });
  return { root, manifests, stateDir: join(root, 'state') };
}
