// Damage markers that outlive a process: the hardware claim (left behind only when qvm could not
// release its devices, i.e. it was SIGKILLed) and the dirty-disk marker (power cut, watchdog bite).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { identityOf, isAlive, type ProcessIdentity } from './liveness.js';

export type ClaimState =
  | { readonly state: 'free' }
  | { readonly state: 'held'; readonly owner: ProcessIdentity }
  /** Claimed by an instance that ended without releasing it. */
  | { readonly state: 'abandoned'; readonly owner: ProcessIdentity };

function readOwner(path: string): ProcessIdentity | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; startTime?: unknown };
    if (typeof parsed.pid !== 'number') return { pid: -1, startTime: undefined };
    return { pid: parsed.pid, startTime: typeof parsed.startTime === 'number' ? parsed.startTime : undefined };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, startTime: undefined };
  }
}

export function inspectClaim(path: string): ClaimState {
  const owner = readOwner(path);
  if (owner === undefined) return { state: 'free' };
  return owner.pid > 0 && isAlive(owner) ? { state: 'held', owner } : { state: 'abandoned', owner };
}

export function writeClaim(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(identityOf(process.pid)));
}

export function removeMarker(path: string): void {
  rmSync(path, { force: true });
}

export function markDiskDirty(path: string, reason: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ time: Date.now(), pid: process.pid, reason }));
}

export function readDirtyReason(path: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : 'unknown';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'unknown';
  }
}
