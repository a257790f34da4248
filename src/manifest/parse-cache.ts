// Parsed manifests kept between loads: a daemon re-reads every file on each pass (the content is the
// truth, never a timestamp) but parses again only the files whose bytes changed.
import { parseYamlFile, type ParsedFile } from './source-document.js';

export interface ParseCache {
  /** The parse of these bytes: from the last load when the file's bytes are the same. */
  parse(file: string, bytes: Uint8Array): ParsedFile;
  /** Forgets every file not in `files` (removed from the directory). */
  retainOnly(files: readonly string[]): void;
}

export function createParseCache(): ParseCache {
  const entries = new Map<string, { readonly bytes: Buffer; readonly parsed: ParsedFile }>();
  return {
    parse(file, bytes) {
      const known = entries.get(file);
      if (known?.bytes.equals(bytes) === true) return known.parsed;
      const parsed = parseYamlFile({ file, bytes });
      entries.set(file, { bytes: Buffer.from(bytes), parsed });
      return parsed;
    },
    retainOnly(files) {
      const keep = new Set(files);
      for (const file of entries.keys()) if (!keep.has(file)) entries.delete(file);
    },
  };
}
