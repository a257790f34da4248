// The few parts of POSIX ustar a bundle needs (docs/fleet.md, "The bundle format"): regular files
// only, written the same way every time (mode 0644, owner 0, time 0), so the same files give the
// same bytes; and a reader that takes nothing on trust. No I/O: bytes in, bytes out.

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export interface TarEntry {
  readonly path: string;
  readonly data: Buffer;
}

/** What a reader refuses: the message says why, in a few words, for one line. */
export class TarError extends Error {
  override readonly name = 'TarError';
}

/** The longest path a ustar header holds: a 155-byte prefix, a slash and a 100-byte name. */
export const MAX_TAR_PATH_BYTES = 255;

/** The archive: each entry's header and data padded to 512 bytes, then two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry.path, entry.data.length), entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(ZERO_BLOCK, ZERO_BLOCK);
  return Buffer.concat(parts);
}

function header(path: string, size: number): Buffer {
  const [prefix, name] = splitPath(path);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

// A name of up to 100 bytes, or a prefix of up to 155 and a name of up to 100 split at a slash.
function splitPath(path: string): [string, string] {
  const bytes = Buffer.byteLength(path);
  if (bytes <= 100) return ['', path];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(path.slice(i + 1)) <= 100) return [prefix, path.slice(i + 1)];
  }
  throw new TarError(`the path ${JSON.stringify(path)} does not fit a tar header (at most ${MAX_TAR_PATH_BYTES} bytes, no part over 100)`);
}

// The sum of the header's bytes with its checksum field counted as eight spaces.
function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum;
}

export interface TarLimits {
  readonly maxEntries: number;
  readonly maxEntryBytes: number;
}

/**
 * The entries of an archive, in order. Refuses (TarError) anything but regular files, a header
 * whose checksum is wrong, sizes past the limits or past the end, and data after the end.
 */
export function readTar(bytes: Buffer, limits: TarLimits): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > bytes.length) throw new TarError(offset === 0 ? 'empty or not a tar archive' : `cut short at byte ${offset} (no end-of-archive blocks)`);
    const h = bytes.subarray(offset, offset + BLOCK);
    if (h.equals(ZERO_BLOCK)) {
      // The end: only zeros may follow (some writers pad to a record of 10240 bytes).
      if (!bytes.subarray(offset).every((b) => b === 0)) throw new TarError(`data after the end of the archive (byte ${offset + BLOCK})`);
      return entries;
    }
    if (entries.length >= limits.maxEntries) throw new TarError(`more than ${limits.maxEntries} entries`);
    const magic = h.toString('latin1', 257, 262);
    if (magic !== 'ustar') throw new TarError(`entry ${entries.length + 1} at byte ${offset} is not a ustar header`);
    const stored = parseOctal(h.subarray(148, 156));
    if (stored === undefined || stored !== checksum(h)) throw new TarError(`the header at byte ${offset} has a wrong checksum (damaged)`);
    const path = joinPath(field(h, 345, 155), field(h, 0, 100));
    const type = String.fromCharCode(h[156] ?? 0);
    if (type !== '0' && type !== '\0') throw new TarError(`${JSON.stringify(path)} is ${TYPE_NAMES[type] ?? `of tar type ${JSON.stringify(type)}`}: only regular files are read`);
    const size = parseOctal(h.subarray(124, 136));
    if (size === undefined) throw new TarError(`${JSON.stringify(path)} has an unreadable size`);
    if (size > limits.maxEntryBytes) throw new TarError(`${JSON.stringify(path)} is ${size} bytes, more than the ${limits.maxEntryBytes} a file may have`);
    const start = offset + BLOCK;
    if (start + size > bytes.length) throw new TarError(`${JSON.stringify(path)} is cut short (${size} bytes announced, ${bytes.length - start} there)`);
    entries.push({ path, data: Buffer.from(bytes.subarray(start, start + size)) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
  L: 'a GNU long name',
  K: 'a GNU long link',
  x: 'a pax header',
  g: 'a pax global header',
};

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function joinPath(prefix: string, name: string): string {
  return prefix.length === 0 ? name : `${prefix}/${name}`;
}

// Octal digits, optionally padded with spaces or NULs; base-256 sizes (first byte 0x80) are refused.
function parseOctal(raw: Buffer): number | undefined {
  const text = raw.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}
