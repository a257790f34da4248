// The git revision of the manifest directory, recorded with every pass (GitOps: which commit the
// host converged to). Absent when the directory is not a git checkout or git is not installed.

import { execa } from 'execa';

export interface GitRevision {
  readonly commit: string;
  /** Uncommitted changes in the checkout. */
  readonly dirty: boolean;
}

const OPTIONS = { reject: false, timeout: 5_000, stdin: 'ignore' } as const;

export async function readGitRevision(dir: string): Promise<GitRevision | undefined> {
  const head = await execa('git', ['--no-optional-locks', '-C', dir, 'rev-parse', 'HEAD'], { ...OPTIONS, forceKillAfterDelay: false }).catch(() => undefined);
  if (head === undefined || head.exitCode !== 0) return undefined;
  // --no-optional-locks: never take .git/index.lock, or a concurrent `git commit` by the user fails.
  const status = await execa('git', ['--no-optional-locks', '-C', dir, 'status', '--porcelain', '--untracked-files=normal', '--', '.'], { ...OPTIONS, forceKillAfterDelay: false }).catch(() => undefined);
  return { commit: head.stdout.trim(), dirty: status === undefined || status.exitCode !== 0 || status.stdout.trim().length > 0 };
}
