// The daemon runs the host shutdown on request (POST /shutdown) and on the operator's signal.
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonHarness, guestYaml, hostYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';
import { hostCommand, readHostLog } from '../helpers/shutdown-fleet.js';

function postShutdown(stateDir: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(stateDir, 'qvmctl.sock'), path: '/shutdown', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }); });
    });
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

describe('qvmctl run: host shutdown', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    const journal = await h?.journal();
    await h?.cleanup();
    h = undefined;
    expect(journalViolations(journal ?? [])).toEqual([]);
  });

  it('runs the sequence on its shutdown signal, stays fenced, and answers POST /shutdown', async () => {
    h = await createDaemonHarness();
    // The test host command, never the real `shutdown`.
    const host = `${hostYaml(h.stateDir)}  shutdown:\n    command: ${JSON.stringify(hostCommand(h.stateDir, 'poweroff'))}\n    rebootCommand: ${JSON.stringify(hostCommand(h.stateDir, 'reboot'))}\n`;
    await h.write('host.yaml', host);
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('alpha');
    await h.startDaemon(['--shutdown-signal', 'SIGPWR']);
    await waitFor(async () => (await h?.guest('alpha'))?.phase === 'running', { timeoutMs: 20_000 });

    const bad = await postShutdown(h.stateDir, { mode: 'off' });
    expect(bad.status).toBe(400);
    const badPolicy = await postShutdown(h.stateDir, { unmanaged: 'kill' });
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.json).toEqual({ error: 'Expected `unmanaged` to be stop, leave or refuse, got `"kill"`' });
    for (const text of ['{"mode": ', 'null', '[]']) expect((await postShutdown(h.stateDir, text)).status).toBe(400);

    h.daemon?.kill('SIGPWR');
    const log = await waitFor(async () => { const l = await readHostLog(h?.stateDir ?? ''); return l.length > 0 ? l : undefined; }, { timeoutMs: 20_000 });
    expect(log.map((l) => l.args)).toEqual(['poweroff']);
    const journal = await h.journal();
    const exit = journal.find((l) => l.system === 'alpha' && l.event === 'exit');
    expect(exit?.code).toBe(0);
    expect(log[0]?.at).toBeGreaterThanOrEqual(exit?.time ?? Infinity);

    const again = await postShutdown(h.stateDir, { mode: 'none', unmanaged: 'stop' });
    expect(again.status).toBe(200);
    // Either it joined the run under way (single-flight) or it resumed under the fence: nothing ran twice.
    expect(again.json).toMatchObject({ status: 'completed' });
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
    expect(h.daemon?.exitCode).toBeNull();
    expect((await h.journal()).filter((l) => l.system === 'alpha' && l.event === 'boot')).toHaveLength(1);
  });
});
