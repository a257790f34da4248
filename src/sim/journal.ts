// The journal: one JSON line per lifecycle event in `journal.jsonl`. Each line is one O_APPEND write,
// so lines from concurrent instances never interleave.

import { appendFileSync } from 'node:fs';

export type JournalEventKind = 'boot' | 'fsck' | 'running' | 'signal' | 'guest' | 'shutdown' | 'exit' | 'damage' | 'refused';

export interface JournalEvent {
  readonly time: number;
  readonly system: string;
  readonly pid: number;
  readonly event: JournalEventKind;
  readonly signal?: string;
  readonly action?: string;
  readonly code?: number;
  readonly kind?: 'hardware' | 'disk';
  readonly reason?: string;
}

export type JournalFields = Omit<JournalEvent, 'time' | 'system' | 'pid'>;

/** Appends one event; a journal that cannot be written never stops the guest. */
export function appendJournal(options: { readonly path: string; readonly system: string; readonly fields: JournalFields }): void {
  const event: JournalEvent = { time: Date.now(), system: options.system, pid: process.pid, ...options.fields };
  try {
    appendFileSync(options.path, `${JSON.stringify(event)}\n`);
  } catch {
    // The journal is for observers; the simulated guest keeps running without it.
  }
}
