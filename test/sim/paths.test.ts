// Control addresses stay within the 107-byte sun_path limit and differ per directory and system.
import { describe, expect, it } from 'vitest';
import { simPaths } from '../../src/sim/paths.js';

describe('simPaths', () => {
  const longDir = `/tmp/${'d'.repeat(150)}`;

  it('uses a short abstract address on Linux, distinct per directory and per system', () => {
    const a = simPaths(longDir, 'zephyr', 'linux').controlAddress;
    expect(a.startsWith('\0qvm-sim/')).toBe(true);
    expect(Buffer.byteLength(a)).toBeLessThan(108);
    expect(simPaths('/tmp/other', 'zephyr', 'linux').controlAddress).not.toBe(a);
    expect(simPaths(longDir, 'linux-guest', 'linux').controlAddress).not.toBe(a);
  });

  it('hashes long or unusual system names into safe file names', () => {
    const paths = simPaths('/tmp/x', `../${'n'.repeat(100)}`, 'linux');
    expect(paths.hardwareClaim).toMatch(/^\/tmp\/x\/hardware\/h-[0-9a-f]{16}\.claim$/);
    expect(Buffer.byteLength(paths.controlAddress)).toBeLessThan(108);
  });

  it('falls back to a socket file under the temp dir when the directory path is too long elsewhere', () => {
    expect(simPaths('/tmp/x', 'a', 'darwin').controlAddress).toBe('/tmp/x/run/a.sock');
    expect(Buffer.byteLength(simPaths(longDir, 'a', 'darwin').controlAddress)).toBeLessThan(108);
  });
});
