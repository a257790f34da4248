// The release record (`<releaseDir>/release.json`, docs/fleet.md, "Phases"): which release is
// committed, which is staged, which one the host was last converged to, and the phase the staged
// one is in. Written atomically after each step, so a crash leaves the last phase that completed
// and every verb can be run again. Pure: parsing, the transitions, and what `status` says.

import { describeRevision, shortDigest, type BundleRevision } from './bundle.js';

export const RECORD_FORMAT = 'qvmctl-release/1';

export interface ReleaseRef {
  /** `sha256:<hex>`: the bundle's digest. */
  readonly digest: string;
  readonly revision: BundleRevision | null;
  /** Epoch ms when it was staged (prepare). */
  readonly preparedAt: number;
}

/**
 * - `prepared`: staged, checked and planned; the host still runs the committed release.
 * - `applying`: apply began; the host is somewhere between the two (run apply again, or roll back).
 * - `applied`: the host converged to the staged release; not verified yet.
 * - `verified`: every guest that should run ran ready long enough; ready to commit.
 * - `rolling-back`: rollback began; the host is on its way back (run rollback again to finish).
 * - `committed`, `rolled-back`: nothing is staged; the last release ended so.
 */
export type ReleasePhase = 'none' | 'prepared' | 'applying' | 'applied' | 'verified' | 'rolling-back' | 'committed' | 'rolled-back';

export type ReleaseVerb = 'prepare' | 'apply' | 'verify' | 'commit' | 'rollback';

export interface ReleaseOutcome {
  readonly verb: ReleaseVerb;
  readonly digest: string;
  readonly ok: boolean;
  readonly at: number;
  /** One line for people (why it failed, or what was done). */
  readonly message: string;
}

export interface ReleaseRecord {
  readonly format: typeof RECORD_FORMAT;
  /** The committed release, or null before the first commit. */
  readonly current: ReleaseRef | null;
  readonly staged: ReleaseRef | null;
  readonly phase: ReleasePhase;
  /** The release the host was last converged to or is being converged to (the `manifests` link); null before any apply. */
  readonly applied: string | null;
  /** The last verb's outcome. */
  readonly last: ReleaseOutcome | null;
  /** The releases that ended, newest last (at most HISTORY_LENGTH). */
  readonly history: readonly { readonly digest: string; readonly revision: BundleRevision | null; readonly result: 'committed' | 'rolled-back'; readonly at: number }[];
}

export const HISTORY_LENGTH = 20;

export const EMPTY_RECORD: ReleaseRecord = { format: RECORD_FORMAT, current: null, staged: null, phase: 'none', applied: null, last: null, history: [] };

/** A record that cannot be read: nothing acts on a release store it cannot understand. */
export class ReleaseRecordError extends Error {
  override readonly name = 'ReleaseRecordError';
}

const PHASES: readonly ReleasePhase[] = ['none', 'prepared', 'applying', 'applied', 'verified', 'rolling-back', 'committed', 'rolled-back'];

export function parseRecord(text: string, file: string): ReleaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ReleaseRecordError(`the release record ${file} is not JSON; restore it or remove the release directory to start again`);
  }
  const v = value as Partial<Record<keyof ReleaseRecord, unknown>>;
  if (typeof value !== 'object' || value === null || v.format !== RECORD_FORMAT) {
    throw new ReleaseRecordError(`the release record ${file} is not of format ${RECORD_FORMAT}`);
  }
  if (typeof v.phase !== 'string' || !PHASES.includes(v.phase as ReleasePhase)) throw new ReleaseRecordError(`the release record ${file} has no valid phase`);
  return {
    format: RECORD_FORMAT,
    current: parseRef(v.current, file),
    staged: parseRef(v.staged, file),
    phase: v.phase as ReleasePhase,
    applied: typeof v.applied === 'string' && isDigest(v.applied) ? v.applied : null,
    last: typeof v.last === 'object' && v.last !== null ? (v.last as ReleaseOutcome) : null,
    history: Array.isArray(v.history) ? (v.history as ReleaseRecord['history']).slice(-HISTORY_LENGTH) : [],
  };
}

function isDigest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

function parseRef(value: unknown, file: string): ReleaseRef | null {
  if (value === null || value === undefined) return null;
  const r = value as Partial<Record<keyof ReleaseRef, unknown>>;
  if (typeof r.digest !== 'string' || !isDigest(r.digest)) throw new ReleaseRecordError(`the release record ${file} names a release without a valid digest`);
  const revision = typeof r.revision === 'object' && r.revision !== null ? (r.revision as BundleRevision) : null;
  return { digest: r.digest, revision, preparedAt: typeof r.preparedAt === 'number' ? r.preparedAt : 0 };
}

export function formatRecord(record: ReleaseRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** The record after a verb's outcome, with the outcome noted. */
export function noted(record: ReleaseRecord, outcome: ReleaseOutcome): ReleaseRecord {
  return { ...record, last: outcome };
}

/** `staged` committed: it becomes current, nothing is staged. */
export function committed(record: ReleaseRecord, at: number): ReleaseRecord {
  const staged = record.staged;
  if (staged === null) return record;
  return {
    ...record,
    current: staged,
    staged: null,
    phase: 'committed',
    applied: staged.digest,
    history: [...record.history, { digest: staged.digest, revision: staged.revision, result: 'committed' as const, at }].slice(-HISTORY_LENGTH),
  };
}

/**
 * `staged` rolled back: dropped; the host is on `current` again (or, with none, stays as it is; a
 * release that was only prepared never left it).
 */
export function rolledBack(record: ReleaseRecord, at: number): ReleaseRecord {
  const staged = record.staged;
  if (staged === null) return record;
  return {
    ...record,
    staged: null,
    phase: 'rolled-back',
    applied: record.phase === 'prepared' ? record.applied : (record.current?.digest ?? record.applied),
    history: [...record.history, { digest: staged.digest, revision: staged.revision, result: 'rolled-back' as const, at }].slice(-HISTORY_LENGTH),
  };
}

/** The revision of a digest the record knows (staged, current, or one that ended). */
export function revisionOf(record: ReleaseRecord, digest: string): BundleRevision | null {
  if (record.staged?.digest === digest) return record.staged.revision;
  if (record.current?.digest === digest) return record.current.revision;
  return record.history.findLast((h) => h.digest === digest)?.revision ?? null;
}

function named(record: ReleaseRecord, digest: string): string {
  return `${shortDigest(digest)} (${describeRevision(revisionOf(record, digest))})`;
}

/** The phases in which the host is (or may be) on the staged release, not the committed one. */
const UNCOMMITTED: readonly ReleasePhase[] = ['applying', 'applied', 'verified', 'rolling-back'];

/** Whether the release the host runs is the committed one and nothing is half-done. */
export function isCommitted(record: ReleaseRecord): boolean {
  return record.applied !== null && record.applied === record.current?.digest && !UNCOMMITTED.includes(record.phase);
}

/**
 * One line for `status`: which release the host runs (or is being moved to), whether it is
 * committed, and what is pending.
 */
export function describeRecord(record: ReleaseRecord): string {
  const { staged, current, applied } = record;
  const committedOne = current === null ? '; nothing committed yet' : `; committed: ${named(record, current.digest)}`;
  const stagedName = staged === null ? '' : named(record, staged.digest);
  switch (record.phase) {
    case 'none':
      return 'release: none applied yet';
    case 'prepared':
      return `${applied === null ? 'release: none applied yet' : `release ${named(record, applied)} applied, ${isCommitted(record) ? 'committed' : 'NOT committed'}`}; ${stagedName} is prepared (not applied)`;
    case 'applying':
      return `release ${stagedName} applied in part, NOT committed (apply did not finish: run it again, or roll back)${committedOne}`;
    case 'applied':
      return `release ${stagedName} applied, NOT committed (not verified yet)${committedOne}`;
    case 'verified':
      return `release ${stagedName} applied and verified, NOT committed${committedOne}`;
    case 'rolling-back':
      return `release ${stagedName} being rolled back, NOT committed (rollback did not finish: run it again)${committedOne}`;
    case 'committed':
      return applied === null ? 'release: none applied yet' : `release ${named(record, applied)} applied, committed`;
    case 'rolled-back': {
      const last = record.history.at(-1);
      const rolled = last === undefined ? '' : `; ${named(record, last.digest)} was rolled back`;
      if (applied === null) return `release: none applied${rolled}`;
      return isCommitted(record) ? `release ${named(record, applied)} applied, committed${rolled}` : `release ${named(record, applied)} applied, NOT committed (rolled back with no committed release to return to)`;
    }
  }
}

/** The record as `release status -o json` and `status -o json` show it. */
export function recordJson(record: ReleaseRecord): Record<string, unknown> {
  const applied = record.applied;
  return {
    applied: applied === null ? null : { digest: applied, revision: revisionOf(record, applied) },
    committed: isCommitted(record),
    phase: record.phase,
    current: record.current,
    staged: record.staged,
    last: record.last,
  };
}
