// Which qvm `system` a qvm process runs, told from its command line: a `system NAME` given as
// options there, else the first `system` entry of the configuration files it names (`@file`, in
// command-line order). qvm requires `system` as the first entry (docs/manifests.md), so the first
// one found is the name. Used for qvm processes qvmctl did not start, so that a guest is never
// started while another qvm runs its system name (docs/runtime.md, "One qvm per system name").

import { tokenizeQvmconf } from '../qvmconf/tokenize.js';

/** The files a qvm command line names as configuration (`@file`), in order. */
export function configFilesOf(argv: readonly string[]): string[] {
  return argv.filter((a) => a.startsWith('@') && a.length > 1).map((a) => a.slice(1));
}

/** The first `system` entry of one configuration text, or undefined. */
export function systemOfConfig(text: string, file: string): string | undefined {
  const { tokens } = tokenizeQvmconf({ text, file });
  return tokens[0]?.text === 'system' ? tokens[1]?.text : undefined;
}

/**
 * The system name of a qvm command line. `configs` holds the texts of the files it names that
 * could be read (one that is gone, or not readable by the controller, is missing).
 */
export function systemOfQvm(argv: readonly string[], configs: ReadonlyMap<string, string>): string | undefined {
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === 'system' && argv[i + 1] !== undefined) return argv[i + 1];
    if (arg.startsWith('@') && arg.length > 1) {
      const text = configs.get(arg.slice(1));
      const system = text === undefined ? undefined : systemOfConfig(text, arg.slice(1));
      if (system !== undefined) return system;
    }
  }
  return undefined;
}
