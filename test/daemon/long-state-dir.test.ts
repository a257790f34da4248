// A state directory whose control socket path is longer than a UNIX socket
// address may be (107 bytes). Before, the socket was cut short into the parent directory, `chmod`
// failed with ENOENT, and the daemon ran on without its socket. Now the daemon serves its socket at
// `<stateDir>/qvmctl.sock` (bound and reached through /proc/self/fd) and every client finds it.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchDaemon } from '../../src/cli/daemon-client.js';
import { startControlServer } from '../../src/daemon/control-server.js';
import { MAX_SOCKET_PATH_BYTES } from '../../src/daemon/control-socket.js';
import { CLI, createDaemonHarness, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const LONG = `${'a-rather-long-directory-name-'.repeat(3)}for-the-state/of-the-hypervisor-host`;

let h: DaemonHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('a control socket path over the UNIX socket limit', () => {
  it('the daemon serves it at <stateDir>/qvmctl.sock, and `status` and `events` reach it', async () => {
    h = await createDaemonHarness({}, { stateDir: LONG });
    const socket = join(h.stateDir, 'qvmctl.sock');
    expect(Buffer.byteLength(socket)).toBeGreaterThan(MAX_SOCKET_PATH_BYTES);
    await h.commit('host only');
    await h.startDaemon();
    expect(h.daemon?.exitCode).toBeNull();
    const status = await waitFor(async () => { const s = await h?.status(); return s?.lastPass === undefined ? undefined : s; }, { timeoutMs: 20_000 });
    expect(status).toMatchObject({ stateDir: h.stateDir, manifests: { status: 'ok' } });
    const info = await stat(socket);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    // Nothing cut short next to the state directory.
    expect((await readdir(dirname(h.stateDir))).sort()).toEqual(['of-the-hypervisor-host']);

    const cli = (args: string[]) => execa(process.execPath, [CLI, ...args, '-f', h?.manifestDir ?? '', '--state-dir', h?.stateDir ?? ''], { reject: false, env: { NO_COLOR: '1' } });
    const shown = await cli(['status']);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^daemon pid ${String(h.daemon?.pid)}: `));
    const events = await cli(['events', '-o', 'json']);
    expect(events.exitCode, events.stderr).toBe(0);
    expect(events.stdout).toContain('ManifestsLoaded');

    await h.stopDaemon();
    expect(h.daemon?.exitCode).toBe(0);
    await expect(stat(socket)).rejects.toThrow(/ENOENT/);
    expect(await fetchDaemon(h.stateDir, '/status')).toBeUndefined();
  });

  it('a socket that cannot be served is an error, and nothing is left listening', async () => {
    const root = await makeTempDir('socket');
    try {
      // Its directory does not exist: the daemon must not run on without it.
      const missing = join(root, LONG, 'qvmctl.sock');
      const api = { status: () => { throw new Error('unused'); }, events: () => [], why: () => { throw new Error('unused'); }, registry: undefined as never, healthy: () => true, readiness: () => ({ ready: true }) };
      await expect(startControlServer({ socketPath: missing, api })).rejects.toThrow(`cannot serve the control socket ${missing} (ENOENT)`);
      expect(await readdir(root)).toEqual([]);
    } finally {
      await removeDir(root);
    }
  });
});
