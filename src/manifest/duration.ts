// Durations as manifests write them (`500ms`, `30s`, `5m`, `2h`); the schema checks the shape first.

import { MAX_DURATION_MS } from '../model/guest-spec.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

/**
 * Durations are bounded by MAX_DURATION_MS (model/guest-spec.ts): 24 days, below the 2^31−1 ms a
 * Node timer holds. `$defs/duration` in schemas/common.schema.json has the same bound as its pattern.
 */
export { MAX_DURATION_MS };

/** The bound as people read it, for messages. */
export const MAX_DURATION_TEXT = '576h (24 days)';

/** Milliseconds of a duration string, or undefined when it is not one or exceeds MAX_DURATION_MS. */
export function parseDuration(text: string): number | undefined {
  const ms = durationValue(text);
  return ms === undefined || ms > MAX_DURATION_MS ? undefined : Math.round(ms);
}

/** True for a well-formed duration longer than MAX_DURATION_MS, so messages can say the bound. */
export function isDurationOverLimit(text: unknown): boolean {
  const ms = typeof text === 'string' ? durationValue(text) : undefined;
  return ms !== undefined && ms > MAX_DURATION_MS;
}

/** Duration in ms, or the fallback when absent (or malformed: the schema has reported that already). */
export function durationOr(text: unknown, fallbackMs: number): number {
  return typeof text === 'string' ? (parseDuration(text) ?? fallbackMs) : fallbackMs;
}

// Unrounded, so a value just over the bound is not rounded under it.
function durationValue(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = UNIT_MS[unit];
  return factor === undefined ? undefined : Number(amount) * factor;
}
