// The daemon's own lifecycle: guests outlive it (SIGTERM, SIGKILL), a second daemon on the same state
// directory is refused, and a daemon killed mid-reconcile converges on restart without a second qvm.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, createDaemonHarness, guestYaml, overlappingRuns, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';

describe('qvmctl run: lifecycle', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('leaves guests running on SIGTERM, and refuses a second daemon on the same state directory', async () => {
    h = await createDaemonHarness();
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('alpha');
    await h.startDaemon();
    const guest = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' ? g : undefined; }, { timeoutMs: 20_000 });

    const second = await execa('node', [CLI, 'run', '-f', h.manifestDir, '--state-dir', h.stateDir], { reject: false, timeout: 20_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('another qvmctl daemon');
    expect(second.stderr).not.toContain('    at ');

    await h.stopDaemon('SIGTERM');
    expect(h.daemon?.exitCode).toBe(0);
    const journal = await h.journal();
    expect(journal.filter((l) => l.system === 'alpha' && (l.event === 'signal' || l.event === 'exit' || l.event === 'shutdown'))).toEqual([]);
    const events = await execa('node', [CLI, 'events', '--state-dir', h.stateDir], { reject: false });
    expect(events.exitCode).toBe(3);
    expect(events.stderr).toContain('no qvmctl daemon runs');

    // a new daemon adopts the guest: same pid, nothing started
    await h.startDaemon();
    const adopted = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' ? g : undefined; }, { timeoutMs: 20_000 });
    expect(adopted.pid).toBe(guest.pid);
  });

  it('ends on SIGTERM even when a handle is left open, and names what was open', async () => {
    h = await createDaemonHarness();
    // A ref'd interval that nothing clears: what a leaked handle inside the daemon would be.
    const preload = join(h.root, 'leak.cjs');
    await writeFile(preload, 'setInterval(() => {}, 60_000);\n');
    let output = '';
    const child = execa('node', ['--require', preload, CLI, 'run', '-f', h.manifestDir, '--state-dir', h.stateDir, '--log-format', 'json'], { reject: false, all: true, forceKillAfterDelay: false });
    child.all.on('data', (chunk: Buffer) => { output += String(chunk); });
    await waitFor(() => output.includes('"daemon started"'), { timeoutMs: 20_000, message: 'the daemon starts' });
    child.kill('SIGTERM');
    await waitFor(() => child.exitCode !== null, { timeoutMs: 20_000, message: 'the daemon ends' });
    expect(child.exitCode).toBe(0);
    const warning = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; handles?: string[] }).find((l) => l.msg.includes('after the daemon stopped: exiting'));
    expect(warning?.handles).toContain('Timeout');
  });

  it('converges after a SIGKILL mid-reconcile with no duplicate qvm and no guest stopped', async () => {
    h = await createDaemonHarness();
    const names = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'];
    for (const name of names) await h.write(`${name}.yaml`, guestYaml(name, { knobs: 'boot-ms=300 shutdown-ms=50', spec: '  readiness:\n    minUptime: 300ms\n' }));
    await h.commit('six guests');
    await h.startDaemon();
    // kill it once the first qvm has booted, while the pass is still starting the others
    await waitFor(async () => (await h?.journal())?.some((l) => l.event === 'boot'), { timeoutMs: 20_000 });
    await h.stopDaemon('SIGKILL');
    await h.startDaemon();
    await waitFor(async () => {
      const s = await h?.status();
      return s !== undefined && names.every((n) => s.guests.find((g) => g.name === n)?.phase === 'running');
    }, { timeoutMs: 40_000, message: 'all six running' });
    // `running` follows from qvmctl's readiness (300 ms of uptime), which on a loaded machine can
    // come before the simulator's own boot timer (300 ms) has journalled `boot`: wait for those too.
    await waitFor(async () => {
      const lines = (await h?.journal()) ?? [];
      return names.every((n) => lines.some((l) => l.system === n && l.event === 'boot'));
    }, { timeoutMs: 20_000, message: 'six boots journalled' });
    const journal = await h.journal();
    expect(overlappingRuns(journal)).toEqual([]);
    expect(journal.filter((l) => l.event === 'refused')).toEqual([]);
    expect(journal.filter((l) => l.event === 'exit' || l.event === 'signal')).toEqual([]);
    for (const name of names) expect(journal.filter((l) => l.system === name && l.event === 'boot')).toHaveLength(1);
    expect(journalViolations(journal)).toEqual([]);
  });
});
