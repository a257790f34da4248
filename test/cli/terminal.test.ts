// Terminal manners (README, "Colour and glyphs"): no-color.org's NO_COLOR, FORCE_COLOR, and colour
// and glyphs only on a terminal.
import { describe, expect, it } from 'vitest';
import { colorFor, glyphsFor } from '../../src/cli/terminal.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('colour', () => {
  it('is on for a terminal and off for a pipe', () => {
    expect(colorFor(tty, {})).toBe(true);
    expect(colorFor(pipe, {})).toBe(false);
  });

  it('is off with NO_COLOR set to anything but the empty string, which no-color.org says to ignore', () => {
    expect(colorFor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorFor(tty, { NO_COLOR: '0' })).toBe(false);
    expect(colorFor(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('is on with FORCE_COLOR, unless it is 0 or false, and NO_COLOR wins over it', () => {
    expect(colorFor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorFor(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorFor(pipe, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colorFor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
});

describe('glyphs', () => {
  it('are ✓ ✗ … on a terminal and ASCII in a pipe', () => {
    expect(glyphsFor(tty)).toMatchObject({ done: '✓', failed: '✗', ellipsis: '…' });
    expect(Object.values(glyphsFor(pipe)).join('')).toMatch(/^[\x20-\x7e]+$/);
  });
});
