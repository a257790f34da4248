// Console logs of the local adapter (docs/runtime.md, "Console logs"): rotation at a pass, and the
// read-only reads of `qvmctl logs`. qvm appends to console.log through the monitor's `>>` (O_APPEND),
// so a log whose qvm runs is copied to console.log.1 and truncated in place (qvm's next write lands
// at the new end); a log without a writer is renamed. Either way the identity's `consoleOffset` is
// kept relative to the current console.log: a run whose beginning was rotated out has a negative
// offset, counted back from the end of console.log.1, and readiness reads from there.
import { constants, lstatSync, type Stats } from 'node:fs';
import { copyFile, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import type { ConsoleLogLimits } from '../model/host-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { RotatedLog } from './port.js';
import { followLog } from './log-follower.js';
import { isNotFound, syncDir } from './state/atomic-file.js';
import { readIdentity, writeIdentity } from './state/identity.js';
import type { StateLayout } from './state/layout.js';

/** console.log, console.log.1, … */
export function generationPath(current: string, generation: number): string {
  return generation === 0 ? current : `${current}.${generation}`;
}

/** Rotates every log of at least `limits.maxSizeBytes`: running guests by copy and truncate, the others by rename. */
export async function rotateLocalConsoleLogs(layout: StateLayout, request: { readonly running: readonly ObservedGuest[]; readonly stopped: readonly string[]; readonly limits: ConsoleLogLimits }): Promise<RotatedLog[]> {
  const rotated: RotatedLog[] = [];
  const targets = [...request.running.map((g) => ({ name: g.name, live: g })), ...request.stopped.map((name) => ({ name, live: undefined }))];
  for (const { name, live } of targets) {
    const bytes = await rotateOne(layout, name, request.limits, live);
    if (bytes !== undefined) rotated.push({ name, bytes });
  }
  return rotated;
}

function lstatQuiet(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

async function rotateOne(layout: StateLayout, name: string, limits: ConsoleLogLimits, live: ObservedGuest | undefined): Promise<number | undefined> {
  const path = layout.consoleLog(name);
  // Synchronous: every pass looks at every guest's log, and it is one cached inode (docs/daemon.md,
  // "Measured", CPU).
  const st = lstatQuiet(path);
  // Never through a link: a console.log that is one is left alone (a start refuses it).
  if (st === undefined || !st.isFile() || st.size < limits.maxSizeBytes) return undefined;
  await shiftGenerations(path, limits.keep);
  if (live === undefined) {
    // No qvm writes it: renamed whole, nothing can be lost.
    if (limits.keep > 0) await rename(path, generationPath(path, 1));
    else await rm(path, { force: true });
    await syncDir(layout.guestDir(name));
    return st.size;
  }
  let bytes = st.size;
  if (limits.keep > 0) {
    const tmp = `${generationPath(path, 1)}.tmp`;
    await rm(tmp, { force: true });
    await copyFile(path, tmp, constants.COPYFILE_EXCL);
    bytes = (await stat(tmp)).size;
    await rename(tmp, generationPath(path, 1));
  }
  // What qvm writes between the copy and here is lost: the one window of copy and truncate.
  await truncate(path, 0);
  await syncDir(layout.guestDir(name));
  const identity = await readIdentity(layout, name);
  if (identity?.pid === live.pid && identity.processStart === live.processStart) {
    await writeIdentity(layout, { ...identity, consoleOffset: identity.consoleOffset - bytes });
  }
  return bytes;
}

// console.log.(keep-1) → console.log.keep, …, console.log.1 → console.log.2; the oldest is dropped.
async function shiftGenerations(path: string, keep: number): Promise<void> {
  await rm(generationPath(path, Math.max(1, keep)), { force: true });
  for (let i = keep - 1; i >= 1; i -= 1) {
    await rename(generationPath(path, i), generationPath(path, i + 1)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

/** The last `lines` lines of a text (all of it when undefined). */
export function tailLines(text: string, lines: number | undefined): string {
  if (lines === undefined) return text;
  if (lines <= 0) return '';
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  let at = end;
  for (let n = 0; n < lines; n += 1) {
    const before = text.lastIndexOf('\n', at - 1);
    if (before < 0) return text;
    at = before;
  }
  return text.slice(at + 1);
}

/** One generation of a guest's console log, undefined when it does not exist. Reads only. */
export async function readLocalConsoleLog(layout: StateLayout, name: string, options: { readonly generation: number; readonly tailLines?: number }): Promise<string | undefined> {
  const path = generationPath(layout.consoleLog(name), options.generation);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  return text === undefined ? undefined : tailLines(text, options.tailLines);
}

/** What the console log gains, across rotations, until the signal aborts. Reads only. */
export async function followLocalConsoleLog(layout: StateLayout, name: string, options: { readonly tailLines?: number; readonly onText: (text: string) => void; readonly signal: AbortSignal }): Promise<void> {
  const path = layout.consoleLog(name);
  const start = await readFile(path).catch(() => Buffer.alloc(0));
  const first = tailLines(start.toString('utf8'), options.tailLines);
  if (first !== '') options.onText(first);
  const follower = followLog({ path, offset: start.length, rereadMs: 250 });
  try {
    while (!options.signal.aborted) {
      const text = await follower.nextText();
      if (text !== '') options.onText(text);
      await follower.waitForChange(250, options.signal);
    }
  } finally {
    await follower.close();
  }
}
