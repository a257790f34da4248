// Sizes as a Host manifest writes them (`10M`, `512K`, `10MiB`, or bytes); the schema checks the shape first.

const UNIT: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const SIZE = /^([0-9]+)(?:([KMG])(?:iB)?)?$/;

/** The smallest and largest console log size: below 4K a pass would rotate all the time. */
export const MIN_BYTE_SIZE = 4096;
export const MAX_BYTE_SIZE = 1024 ** 3;
export const BYTE_SIZE_TEXT = 'from 4K to 1G';

/** Bytes of a size (a number, or a string like `10M`), or undefined when it is not one. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = SIZE.exec(value);
  if (match === null) return undefined;
  const bytes = Number(match[1]) * (UNIT[match[2] ?? ''] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
