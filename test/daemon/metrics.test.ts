// The daemon's metrics listener (docs/daemon.md, "Control API"): a port that cannot be served is a
// user's mistake, told in one line, and the daemon does not keep running half-started.
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, createDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET over the control socket (`{ socketPath }`) or the TCP listener (`{ port }`). */
function get(where: { readonly socketPath: string } | { readonly port: number }, path: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const target = 'port' in where ? { host: '127.0.0.1', port: where.port } : { socketPath: where.socketPath };
    const req = request({ ...target, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => { done({ status: res.statusCode ?? 0, body }); });
    });
    req.on('error', fail);
    req.end();
  });
}

describe('qvmctl run: metrics', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('says in one line that a --metrics-port in use cannot be served, and leaves nothing listening', async () => {
    h = await createDaemonHarness();
    const busy = createServer();
    await new Promise<void>((done) => { busy.listen(0, '127.0.0.1', done); });
    try {
      const port = (busy.address() as AddressInfo).port;
      const run = await execa('node', [CLI, 'run', '-f', h.manifestDir, '--state-dir', h.stateDir, '--metrics-port', String(port), '--log-format', 'json'], { reject: false, timeout: 20_000 });
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(1);
      expect(run.stderr.trim()).toBe(`qvmctl: cannot serve /metrics on 127.0.0.1:${port} (EADDRINUSE): the port is in use; choose another --metrics-port`);
      expect(await get({ socketPath: join(h.stateDir, 'qvmctl.sock') }, '/healthz').catch((error: unknown) => (error as NodeJS.ErrnoException).code)).toBe('ENOENT');
    } finally {
      await new Promise((done) => { busy.close(done); });
    }
  });
});
