import { describe, expect, it } from 'vitest';
import { durationOr, parseDuration } from '../../src/manifest/duration.js';

describe('parseDuration', () => {
  it.each([['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['2h', 7_200_000], ['1.5s', 1500], ['0s', 0]])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['5 minutes', '30', 's', '-1s', '1d', ''])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it('falls back when absent', () => {
    expect(durationOr(undefined, 7)).toBe(7);
  });
});
