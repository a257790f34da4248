// What `GET /status` answers: the daemon, its last pass, and each guest (render/guest-status.ts).

import type { GuestStatus } from '../render/guest-status.js';
import type { GitRevision } from './git-revision.js';

export type { GuestStatus };

export interface PassSummary {
  readonly id: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result: 'ok' | 'failed' | 'error' | 'skipped';
  readonly revision: GitRevision | undefined;
  readonly fingerprint: string | undefined;
  readonly changes: number;
}

export interface DaemonStatus {
  readonly pid: number;
  readonly stateDir: string;
  readonly manifestDir: string;
  readonly manifests: { readonly status: 'ok' | 'invalid' | 'empty' | 'unreadable' | 'none'; readonly errors: number; readonly usingLastGood: boolean };
  readonly fenced: boolean;
  readonly lastPass: PassSummary | undefined;
  readonly passes: number;
  readonly guests: readonly GuestStatus[];
}

