// `qvmctl run --ui-port` mistakes: one line and exit 1, nothing left running (the daemon never runs
// without the web view it was asked for).
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonHarness, guestYaml, type DaemonHarness } from '../helpers/daemon-harness.js';

describe('qvmctl run --ui-port', () => {
  let h: DaemonHarness | undefined;
  let taken: Server | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
    await new Promise<void>((resolve) => { if (taken === undefined) resolve(); else taken.close(() => { resolve(); }); });
    taken = undefined;
  });

  it('refuses a port that is not a number, and one that is taken, in one line each', async () => {
    h = await createDaemonHarness();
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('alpha');
    const output = async (): Promise<string> => readFile(join(h?.root ?? '', 'daemon.log'), 'utf8');

    await h.startDaemon(['--ui-port', 'eighty']);
    await h.daemon?.ended;
    expect(h.daemon?.exitCode).toBe(1);
    expect(await output()).toContain('qvmctl: Expected `--ui-port` to be a port number, got `eighty`\n');

    const server = createServer();
    taken = server;
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', () => { resolve(); }); });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await h.startDaemon(['--ui-port', String(port)]);
    await h.daemon?.ended;
    expect(h.daemon?.exitCode).toBe(1);
    const text = await output();
    expect(text).toContain(`qvmctl: cannot serve the web view on http://127.0.0.1:${port}/ (EADDRINUSE)`);
    expect(text).toContain('choose another --ui-port or --ui-address');
    expect(text).not.toMatch(/\n\s+at /);
    // Nothing was started, and the lock was given back: a daemon without the clash runs.
    expect(await h.journal()).toEqual([]);
    await h.startDaemon(['--ui-port', '0']);
    expect(h.daemon?.exitCode).toBeNull();
    expect((await h.metrics()).length).toBeGreaterThan(0);
  });
});
