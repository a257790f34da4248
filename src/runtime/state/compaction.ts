// What a guest's directory keeps of its past runs (docs/runtime.md, "Compaction"): the exit records
// of its last `keep` ended runs in `exits/`, and of the rest only what a look or a start may still
// need. Pure: both adapters select with it (the ssh adapter selects `exits/` on the host in sh, by
// the same rule). Only records already acknowledged, and so folded into the history, are removed: an
// exit record in the guest directory itself (`run-<id>.exit.json`, not yet acknowledged) never is.
import { isRunId } from './layout.js';

/** Run ids are `<epoch ms>-<hex>`: older first. */
export function compareRunIds(a: string, b: string): number {
  const [am = '', ah = ''] = a.split('-');
  const [bm = '', bh = ''] = b.split('-');
  const byTime = Number(am) - Number(bm);
  if (byTime !== 0) return byTime;
  return ah < bh ? -1 : ah > bh ? 1 : 0;
}

export interface CompactionInput {
  /** The names in the guest directory. */
  readonly guestFiles: readonly string[];
  /** The names in its `exits/`; undefined when not listed (then nothing there is selected). */
  readonly archived: readonly string[] | undefined;
  /** The run that `identity.json` names, and the name of its config file, when it parses. */
  readonly identity: { readonly runId: string; readonly confFile: string } | undefined;
  /** The name of the config file the manifests want for the guest now (a start of this pass writes it). */
  readonly desiredConf: string | undefined;
  /** Exit records of ended runs kept (Host `history.keep`). */
  readonly keep: number;
}

export interface CompactionSelection {
  /** Names in `exits/` to remove. */
  readonly archived: readonly string[];
  /** Names in the guest directory to remove (config files among them when listed). */
  readonly guestFiles: readonly string[];
  /**
   * The config files a run may still need: every other `*.qvmconf` of the guest may go. Undefined:
   * none may (no identity, or a start under way whose config is not known).
   */
  readonly confsNeeded: readonly string[] | undefined;
}

const RUN_FILE = /^run-(.+)\.(pid|launch\.json|pid\.tmp|exit\.json)$/;
const CONF_FILE = /^[A-Za-z0-9_-]+\.qvmconf$/;

function runOf(name: string): { runId: string; kind: string } | undefined {
  const match = RUN_FILE.exec(name);
  if (match === null || !isRunId(match[1] ?? '')) return undefined;
  return { runId: match[1] ?? '', kind: match[2] ?? '' };
}

export function selectCompaction(input: CompactionInput): CompactionSelection {
  const keep = Math.max(1, Math.floor(input.keep));
  const identityRun = input.identity?.runId;
  // exits/: the newest `keep` records and the identity's (an inferred exit is recreated for the
  // identity's run when its record is gone); PID files there are dropped, the record holds the PID.
  const archived: string[] = [];
  if (input.archived !== undefined) {
    const records = input.archived.map((name) => ({ name, run: runOf(name) }))
      .filter((f): f is { name: string; run: { runId: string; kind: string } } => f.run !== undefined);
    const exits = records.filter((f) => f.run.kind === 'exit.json').sort((a, b) => compareRunIds(a.run.runId, b.run.runId));
    for (const f of exits.slice(0, Math.max(0, exits.length - keep))) if (f.run.runId !== identityRun) archived.push(f.name);
    for (const f of records) if (f.run.kind === 'pid') archived.push(f.name);
  }
  // The guest directory: without an identity nothing tells a live run from a dead one.
  const guestFiles: string[] = [];
  if (input.identity === undefined || identityRun === undefined) return { archived, guestFiles, confsNeeded: undefined };
  const runs = input.guestFiles.map((name) => ({ name, run: runOf(name) }))
    .filter((f): f is { name: string; run: { runId: string; kind: string } } => f.run !== undefined);
  const recorded = new Set(runs.filter((f) => f.run.kind === 'exit.json').map((f) => f.run.runId));
  // A run older than the identity's without an exit record waiting had ended before the identity's
  // run was started (a start refuses while any qvm of the guest runs): its launch record and PID
  // file can adopt nothing. A run with a waiting exit record is left to its acknowledgement.
  for (const f of runs) {
    if (f.run.kind === 'exit.json' || recorded.has(f.run.runId)) continue;
    if (compareRunIds(f.run.runId, identityRun) < 0) guestFiles.push(f.name);
  }
  // A run newer than the identity's without an exit record is a start under way or not adopted yet:
  // its config may be any, so no config is removed then.
  const inFlight = runs.some((f) => f.run.kind !== 'exit.json' && !recorded.has(f.run.runId) && compareRunIds(f.run.runId, identityRun) > 0);
  if (inFlight) return { archived, guestFiles, confsNeeded: undefined };
  const confsNeeded = [input.identity.confFile, input.desiredConf].filter((f): f is string => f !== undefined);
  for (const name of input.guestFiles) if (CONF_FILE.test(name) && !confsNeeded.includes(name)) guestFiles.push(name);
  return { archived, guestFiles, confsNeeded };
}
