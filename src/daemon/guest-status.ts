// What `GET /status` answers: the daemon, its last pass, and each guest (render/guest-status.ts).

import type { UnmanagedProcess } from '../model/observed.js';
import type { GuestStatus } from '../planner/guest-status.js';
import type { GitRevision } from './git-revision.js';

export type { GuestStatus };

export interface PassSummary {
  readonly id: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** `unreachable`: the host could not be reached; nothing was concluded about its guests. */
  readonly result: 'ok' | 'failed' | 'error' | 'skipped' | 'unreachable';
  readonly revision: GitRevision | undefined;
  readonly fingerprint: string | undefined;
  readonly changes: number;
}

/** Where the desired state comes from, and how current it is (docs/daemon.md, "Settled input"). */
export interface ManifestsStatus {
  /** Of the last load used (one that had not settled is not used). */
  readonly status: 'ok' | 'invalid' | 'empty' | 'unreadable' | 'none';
  readonly errors: number;
  /** The desired state in use is an earlier one: the last load was not valid, or has not settled. */
  readonly usingLastGood: boolean;
  /** `git`: the manifest directory is in a git checkout and the desired state is a commit; `directory`: the files. */
  readonly source: 'git' | 'directory';
  /** git: the commit HEAD named at the last pass. */
  readonly head?: string;
  /** git: the commit of the desired state in use (differs from `head` while that one is not valid). */
  readonly commit?: string;
  /** git: since when `commit` is in use (epoch ms). */
  readonly appliedAt?: number;
  /** git: the manifest directory's working tree differs from `commit` (changes not committed are not applied). */
  readonly workingTreeDiffers?: boolean;
  /** directory: files (relative to the manifest directory) changed less than the debounce window ago: not used yet. */
  readonly unsettled?: readonly string[];
}

export interface DaemonStatus {
  readonly pid: number;
  readonly stateDir: string;
  readonly manifestDir: string;
  readonly manifests: ManifestsStatus;
  /** Where the host is (`local` or `ssh://…`), and whether the last pass reached it. */
  readonly host: { readonly where: string; readonly reachable: boolean; readonly error?: string };
  readonly fenced: boolean;
  readonly lastPass: PassSummary | undefined;
  readonly passes: number;
  readonly guests: readonly GuestStatus[];
  /** qvm processes no manifest explains, at the last pass. */
  readonly unmanaged: readonly UnmanagedProcess[];
}

