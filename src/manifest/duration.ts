// Durations as manifests write them (`500ms`, `30s`, `5m`, `2h`); the schema checks the shape first.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = UNIT_MS[unit];
  return factor === undefined ? undefined : Math.round(Number(amount) * factor);
}

/** Duration in ms, or the fallback when absent (or malformed: the schema has reported that already). */
export function durationOr(text: unknown, fallbackMs: number): number {
  return typeof text === 'string' ? (parseDuration(text) ?? fallbackMs) : fallbackMs;
}
