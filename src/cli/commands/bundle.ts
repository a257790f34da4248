// `qvmctl bundle -f DIR -o FILE`: a release bundle of a manifest directory (docs/fleet.md): its
// manifests and the files they reference, the git revision, and the digest of the content.

import { Option, type Command } from 'commander';
import { readGitRevision } from '../../daemon/git-revision.js';
import { loadManifests } from '../../manifest/load.js';
import { BundleError, describeRevision, writeBundle } from '../../release/bundle.js';
import { collectBundleInput } from '../../release/bundle-files.js';
import { writeFileAtomic } from '../../runtime/state/atomic-file.js';
import { CliError } from '../errors.js';
import { invalidManifests } from '../host-context.js';
import { addManifestOption, type OutputFormat, type ManifestOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';

interface BundleOptions extends ManifestOptions {
  readonly out: string;
  readonly output: OutputFormat;
}

export function registerBundle(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('bundle')
    .description('write a release bundle of the manifests: every file they use, the git revision, a content digest')
    .requiredOption('-o, --out <file>', 'the bundle file to write (conventionally *.qvmb)')
    // `-o` is the bundle file here, as in `tar -f`/`cc -o`: the format has only its long name.
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'));
  addManifestOption(command);
  command.action(async (options: BundleOptions) => {
    const dir = options.manifests;
    const loaded = await loadManifests({ dir });
    if (loaded.status !== 'ok') throw invalidManifests(dir, loaded, 'no bundle was written');
    for (const d of loaded.diagnostics) io.diagnostic(d);
    const [input, revision] = await Promise.all([collectBundleInput(dir, loaded), readGitRevision(dir)]);
    let written;
    try {
      written = writeBundle(input.files, revision ?? null);
    } catch (error) {
      if (error instanceof BundleError) throw new CliError(`cannot bundle ${dir}: ${error.message}; no bundle was written`, { cause: error });
      throw error;
    }
    for (const path of input.outside) io.err(`note: not in the bundle: ${path} (outside ${dir}, under a Host configRoots entry): the device reads its own copy\n`);
    if (revision?.dirty === true) io.err(`note: the working tree of ${dir} differs from its HEAD commit ${revision.commit.slice(0, 12)}: the bundle holds uncommitted changes (marked +dirty)\n`);
    await writeFileAtomic(options.out, written.bytes, 0o644).catch((error: unknown) => {
      throw new CliError(`cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    });
    const { meta, bytes } = written;
    result.exitCode = 0;
    if (options.output === 'json') io.document('Bundle', { file: options.out, files: meta.files.length, bytes: bytes.length, digest: meta.digest, revision: meta.revision });
    else io.out(`${options.out}: ${meta.files.length} files, ${bytes.length} bytes, ${meta.digest} (${describeRevision(meta.revision)})\n`);
  });
}
