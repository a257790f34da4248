// Control sockets are files in the private run/ directory, within the 107-byte sun_path limit where
// possible, and differ per directory and system.
import { describe, expect, it } from 'vitest';
import { simPaths, SOCKET_PATH_MAX } from '../../src/sim/paths.js';

describe('simPaths', () => {
  it('puts the control socket in the run/ directory of QVM_SIM_DIR, one per system', () => {
    const paths = simPaths('/tmp/x', 'zephyr');
    expect(paths.runDir).toBe('/tmp/x/run');
    expect(paths.controlSocket).toBe('/tmp/x/run/zephyr.sock');
    expect(simPaths('/tmp/other', 'zephyr').controlSocket).not.toBe(paths.controlSocket);
    expect(simPaths('/tmp/x', 'linux-guest').controlSocket).not.toBe(paths.controlSocket);
  });

  it('hashes long or unusual system names into safe file names', () => {
    const paths = simPaths('/tmp/x', `../${'n'.repeat(100)}`);
    expect(paths.hardwareClaim).toMatch(/^\/tmp\/x\/hardware\/h-[0-9a-f]{16}\.claim$/);
    expect(paths.controlSocket).toMatch(/^\/tmp\/x\/run\/h-[0-9a-f]{16}\.sock$/);
  });

  it('shortens a socket path over the limit to the hash of the system name', () => {
    const dir = `/tmp/${'d'.repeat(40)}`;
    const long = 'g'.repeat(64);
    expect(simPaths(dir, long).controlSocket).toMatch(new RegExp(`^${dir}/run/[0-9a-f]{16}\\.sock$`));
    expect(Buffer.byteLength(simPaths(dir, long).controlSocket)).toBeLessThanOrEqual(SOCKET_PATH_MAX);
    // A directory too long for any name is left to the socket code to refuse, naming the limit.
    expect(Buffer.byteLength(simPaths(`/tmp/${'d'.repeat(150)}`, 'a').controlSocket)).toBeGreaterThan(SOCKET_PATH_MAX);
  });
});
