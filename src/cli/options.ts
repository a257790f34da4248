// Options shared by commands: where the manifests are and how to print results.

import { Option, type Command } from 'commander';

export type OutputFormat = 'text' | 'json';

export interface ManifestOptions {
  readonly manifests: string;
}

export interface OutputOptions {
  readonly output: OutputFormat;
}

export function addManifestOption(command: Command): Command {
  return command.option('-f, --manifests <dir>', 'manifest directory', './manifests');
}

export function addOutputOption(command: Command): Command {
  return command.addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
}

export interface StateDirOptions {
  readonly stateDir?: string;
}

export function addStateDirOption(command: Command): Command {
  return command.option('--state-dir <dir>', 'state directory (default: the Host manifest\'s stateDir)');
}
