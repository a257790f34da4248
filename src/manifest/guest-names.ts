// The guest names of a manifest directory, for shell completion: the `metadata.name` of every
// `kind: Guest` document, read without validation (fast, and useful while a manifest is broken).
// Reads only the directory's own *.yaml / *.yml files, as the loader does; never fails.

import { readdir, readFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MAX_INPUT_BYTES } from './limits.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export async function guestNamesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const files = entries.filter((f) => !f.startsWith('.') && (f.endsWith('.yaml') || f.endsWith('.yml'))).sort();
  const names = new Set<string>();
  for (const file of files) {
    const path = join(dir, file);
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined || !st.isFile() || st.size > MAX_INPUT_BYTES) continue;
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const doc of parseAllDocuments(text)) {
      if (!('toJS' in doc)) continue;
      const value = (() => { try { return doc.toJS() as unknown; } catch { return undefined; } })();
      if (typeof value !== 'object' || value === null) continue;
      const { kind, metadata } = value as { kind?: unknown; metadata?: { name?: unknown } };
      const name = metadata?.name;
      if (kind === 'Guest' && typeof name === 'string' && DNS_LABEL.test(name)) names.add(name);
    }
  }
  return [...names].sort();
}
