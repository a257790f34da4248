// What `GET /status` answers: the daemon, its last pass, and each guest (render/guest-status.ts).

import type { GuestStatus } from '../render/guest-status.js';
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

export interface DaemonStatus {
  readonly pid: number;
  readonly stateDir: string;
  readonly manifestDir: string;
  readonly manifests: { readonly status: 'ok' | 'invalid' | 'empty' | 'unreadable' | 'none'; readonly errors: number; readonly usingLastGood: boolean };
  /** Where the host is (`local` or `ssh://…`), and whether the last pass reached it. */
  readonly host: { readonly where: string; readonly reachable: boolean; readonly error?: string };
  readonly fenced: boolean;
  readonly lastPass: PassSummary | undefined;
  readonly passes: number;
  readonly guests: readonly GuestStatus[];
}

