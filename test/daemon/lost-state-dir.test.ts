// Issue case 8: the state directory deleted under a running daemon. Its guests keep running and
// stay its own (identified again by their config path), and its daemon lock is made again at the
// next pass, so a second daemon on the same host is still refused.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, createDaemonHarness, guestYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';

describe('qvmctl run: the state directory deleted under it', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('takes its daemon lock again, refuses a second daemon, and starts no second qvm', async () => {
    h = await createDaemonHarness({ interval: '1s' });
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('alpha');
    await h.startDaemon();
    const guest = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' ? g : undefined; }, { timeoutMs: 20_000 });

    // Everything qvmctl keeps, gone; the simulator's own directory (the "hardware") stays.
    const stateDir = h.stateDir;
    for (const entry of await readdir(stateDir)) if (entry !== 'sim') await rm(join(stateDir, entry), { recursive: true, force: true, maxRetries: 20 });
    await waitFor(() => existsSync(join(stateDir, 'qvmctl.lock')), { timeoutMs: 20_000 });

    const second = await execa('node', [CLI, 'run', '-f', h.manifestDir, '--state-dir', stateDir], { reject: false, timeout: 20_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('another qvmctl daemon');

    // Passes go on (one a second): alpha is still its one qvm, never booted twice.
    const status = await execa('node', [CLI, 'status', '--state-dir', stateDir, '-f', h.manifestDir, '-o', 'json'], { reject: false });
    expect(status.stdout).toContain(`"pid": ${guest.pid}`);
    const boots = (await h.journal()).filter((l) => l.system === 'alpha' && l.event === 'boot');
    expect(boots).toHaveLength(1);
  });
});
