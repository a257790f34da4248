// The local adapter's compaction (docs/runtime.md, "Compaction"): for each guest asked for, what
// state/compaction.ts selects is unlinked, one file at a time. Each unlink is atomic and removes
// only records a look no longer needs, so a crash between two leaves a directory the next pass
// reads as it would have before, and that pass removes the rest.
import { lstat, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { crashPoint } from './crash-point.js';
import { listGuestNames } from './observe-guests.js';
import type { CompactionRequest } from './port.js';
import { isNotFound } from './state/atomic-file.js';
import { selectCompaction } from './state/compaction.js';
import { readIdentity } from './state/identity.js';
import { isGuestName } from './state/layout.js';

/** Lists a real directory (never one reached through a symbolic link); undefined when there is none. */
async function listRealDir(path: string): Promise<string[] | undefined> {
  const info = await lstat(path).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (info === undefined || !info.isDirectory()) return undefined;
  return readdir(path);
}

/** Removes what a guest no longer needs, for the guests named, or every guest with `all`. The number of files removed. */
export async function compactLocalRuns(ctx: RuntimeContext, request: CompactionRequest & { readonly all: boolean }): Promise<number> {
  const { layout } = ctx;
  const names = request.all ? await listGuestNames(ctx) : [...new Set(request.guests)].filter(isGuestName).sort();
  let removed = 0;
  for (const name of names) {
    const dir = layout.guestDir(name);
    const guestFiles = await listRealDir(dir);
    if (guestFiles === undefined) continue;
    const exitsDir = layout.consumedExitsDir(name);
    const archived = guestFiles.includes('exits') ? await listRealDir(exitsDir) : [];
    const identity = await readIdentity(layout, name);
    const desiredHash = request.configHashes.get(name);
    const selection = selectCompaction({
      guestFiles,
      archived,
      identity: identity === undefined ? undefined : { runId: identity.runId, confFile: basename(identity.confPath) },
      desiredConf: desiredHash === undefined ? undefined : basename(layout.confFile(name, desiredHash)),
      keep: request.keep,
    });
    // Oldest records first, then what the guest directory no longer needs.
    for (const path of [...selection.archived.map((f) => join(exitsDir, f)), ...selection.guestFiles.map((f) => join(dir, f))]) {
      await rm(path, { force: true });
      removed += 1;
      crashPoint('compact:mid-removal');
    }
  }
  if (removed > 0) ctx.log({ level: 'debug', msg: `compaction removed ${removed} run records no guest needs` });
  return removed;
}
