// Manifests kept between loads (the daemon): a file whose (device, inode, size, mtime, ctime) are
// those of the last load is neither read nor parsed again; one that changed is read, and parsed
// again only if its bytes changed (docs/daemon.md, "Settled input").
//
// A timestamp is trusted only when it was older than the read by more than the clock's and the file
// system's granularity: a file written twice within one tick, the second time after it was read,
// keeps its size and mtime, and would otherwise never be read again (git's "racy clean" entries).
import type { BigIntStats } from 'node:fs';
import { parseYamlFile, type ParsedFile } from './source-document.js';

export interface ParseCache {
  /**
   * The bytes and parse of the last load, when `info` (taken now, at `statAt`) shows the same file
   * unchanged since; undefined when it must be read.
   */
  unchanged(file: string, info: BigIntStats): { readonly bytes: Uint8Array; readonly parsed: ParsedFile } | undefined;
  /**
   * The parse of these bytes: from the last load when the bytes are the same. `info`, taken before
   * the bytes were read at `statAt` (epoch ms), lets the next load skip the file while it stays so.
   */
  parse(file: string, bytes: Uint8Array, seen?: { readonly info: BigIntStats; readonly statAt: number }): ParsedFile;
  /** Forgets every file not in `files` (removed from the directory). */
  retainOnly(files: readonly string[]): void;
}

/** How much older than its read a file's mtime must be for the mtime to be trusted. */
export const TRUSTED_AGE_MS = 2_000;

const signatureOf = (s: BigIntStats): string => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

export function createParseCache(): ParseCache {
  const entries = new Map<string, { readonly bytes: Buffer; readonly parsed: ParsedFile; readonly signature: string | undefined }>();
  return {
    unchanged(file, info) {
      const known = entries.get(file);
      return known?.signature !== undefined && known.signature === signatureOf(info) ? known : undefined;
    },
    parse(file, bytes, seen) {
      const known = entries.get(file);
      const trusted = seen !== undefined && Number(seen.info.mtimeMs) < seen.statAt - TRUSTED_AGE_MS && Number(seen.info.ctimeMs) < seen.statAt - TRUSTED_AGE_MS;
      const signature = trusted ? signatureOf(seen.info) : undefined;
      if (known?.bytes.equals(bytes) === true) {
        if (known.signature !== signature) entries.set(file, { ...known, signature });
        return known.parsed;
      }
      const parsed = parseYamlFile({ file, bytes });
      entries.set(file, { bytes: Buffer.from(bytes), parsed, signature });
      return parsed;
    },
    retainOnly(files) {
      const keep = new Set(files);
      for (const file of entries.keys()) if (!keep.has(file)) entries.delete(file);
    },
  };
}
