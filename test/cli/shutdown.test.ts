// `qvmctl shutdown` and `qvmctl fence` as users run them: the built CLI against manifests that run
// on the simulator, with a test host command that logs when it ran.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createHarness, guestSpec, journalViolations, startQvmByHand, type Harness } from '../helpers/runtime-harness.js';
import { hostCommand, readHostLog } from '../helpers/shutdown-fleet.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { CLI_MAIN as CLI } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const qvmctl = (args: readonly string[]) => execa('node', [CLI, ...args], { reject: false, cwd: ROOT, env: { QVMCTL_DEBUG: '' } });

let h: Harness;
let dir: string;
beforeEach(async () => {
  h = await createHarness();
  dir = await makeTempDir('shutdown-cli');
});
afterEach(async () => {
  const journal = await h.journal();
  await h.cleanup();
  await removeDir(dir);
  expect(journalViolations(journal)).toEqual([]);
});

const guestYaml = (name: string, options: { deps?: string[]; knobs?: string; ladder?: string }): string => `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  qvm:
    ram: ["0x80000000,64M"]
    cpus: 1
    simulator: { boot-ms: 50, shutdown-ms: 100${options.knobs ?? ''} }
  dependsOn: [${(options.deps ?? []).join(', ')}]
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    ${options.ladder ?? 'guestTimeout: 2s\n    powerButtonTimeout: 2s'}
`;

// svc ← app (needs the power button) ← ui; `stuckApp` makes app ignore the power button too.
async function writeFleet(options: { stuckApp?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const host = `apiVersion: qvmctl/v1
kind: Host
metadata: { name: test }
spec:
  qvm: { simulator: true }
  stateDir: ${h.stateDir}
  shutdown:
    command: ${JSON.stringify(hostCommand(h.stateDir, 'poweroff'))}
    rebootCommand: ${JSON.stringify(hostCommand(h.stateDir, 'reboot'))}
    deadline: 5s
    unmanaged: refuse
  commands: { allow: [qvm-sim] }
`;
  await writeFile(join(dir, 'host.yaml'), host);
  await writeFile(join(dir, 'svc.yaml'), guestYaml('svc', {}));
  const appKnobs = options.stuckApp === true ? ', ignore-guest-shutdown: true, ignore-power-button: true' : ', ignore-guest-shutdown: true';
  await writeFile(join(dir, 'app.yaml'), guestYaml('app', { deps: ['svc'], knobs: appKnobs, ladder: 'guestTimeout: 300ms\n    powerButtonTimeout: 2s' }));
  await writeFile(join(dir, 'ui.yaml'), guestYaml('ui', { deps: ['app'] }));
}

async function startFleet(): Promise<void> {
  const loaded = await loadManifests({ dir });
  if (loaded.desired === undefined) throw new Error(`test manifests invalid: ${JSON.stringify(loaded.diagnostics)}`);
  await Promise.all(loaded.desired.guests.map((spec) => h.startRunning(spec)));
}

describe('qvmctl shutdown', () => {
  it('--dry-run prints the waves, budgets and the worst case, and warns when it cannot fit', async () => {
    await writeFleet();
    await startFleet();
    const r = await qvmctl(['shutdown', '-f', dir, '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'wave 1: ui (4 s)',
      'wave 2: app (2.3 s)',
      'wave 3: svc (4 s)',
      // The ladders along the chain, and the wait for a pass under way (docs/shutdown.md, "Dry run").
      'Worst case 11.3 s (ui → app → svc): OVER the deadline of 5 s.',
      '(1 s at most for a reconcile pass under way to give way, then 10.3 s of stop ladders along the slowest chain)',
    ]);
    expect(r.stderr).toContain('warning: the worst case (11300 ms) does not fit shutdown.deadline (5000 ms)');
    const json = await qvmctl(['shutdown', '-f', dir, '--dry-run', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ criticalPathMs: 10_300, passLockWaitMs: 1_000, worstCaseMs: 11_300, withinDeadline: false });
    expect(await readHostLog(h.stateDir)).toEqual([]);
    expect((await h.runtime.observe()).guests).toHaveLength(3);
  });

  it('shuts the fleet down with progress and a result table, leaves the fence up until lifted', async () => {
    await writeFleet();
    await startFleet();
    const r = await qvmctl(['shutdown', '-f', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    // Progress on stderr, the result on stdout (docs/cli.md, "Output streams").
    const progress = r.stderr.split('\n');
    expect(progress[0]).toBe('fence raised: no guest starts or restarts from now on');
    expect(progress).toContain('app: the power button (SIGTERM)');
    const at = (prefix: string): number => progress.findIndex((l) => l.startsWith(prefix));
    expect(at('ui: stopping')).toBeLessThan(at('app: stopping'));
    expect(at('app: stopping')).toBeLessThan(at('svc: stopping'));
    expect(at('svc: stopped by the guest shutdown command, exit 0 after')).toBeGreaterThan(at('svc: stopping'));
    const lines = r.stdout.split('\n');
    expect(lines[0], 'no progress on stdout').toMatch(/^GUEST\s/);
    expect(lines).toContainEqual(expect.stringMatching(/^GUEST\s+PID\s+END\s+STEP\s+EXIT\s+ELAPSED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^app\s+\d+\s+stopped\s+power-button\s+0\s+[\d.]+ s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^host command .* -e .*host-command\.log poweroff: exit 0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Shutdown completed in [\d.]+ s\.$/));
    expect((await readHostLog(h.stateDir)).map((l) => l.args)).toEqual(['poweroff']);

    const fenced = await qvmctl(['fence', '-f', dir, '-o', 'json']);
    expect(JSON.parse(fenced.stdout)).toMatchObject({ fenced: true, lifted: false });
    const lift = await qvmctl(['fence', '--lift', '--state-dir', h.stateDir]);
    expect(lift.stdout).toMatch(/^Fence lifted/);
    expect((await qvmctl(['fence', '-f', dir])).stdout).toMatch(/^No fence in /);
  });

  it('exits 2 and names the stuck guest when it blocks the host command (JSON)', async () => {
    await writeFleet({ stuckApp: true });
    await startFleet();
    const r = await qvmctl(['shutdown', '-f', dir, '-o', 'json']);
    expect(r.exitCode).toBe(2);
    const result = JSON.parse(r.stdout) as { status: string; blockers: string[]; host: { ran: boolean; reason: string }; guests: { guest: string; end: string }[] };
    expect(result.status, r.stdout).toBe('blocked');
    expect(result.guests.map((g) => `${g.guest}:${g.end}`)).toEqual(['ui:stopped', 'app:stuck', 'svc:blocked']);
    expect(result.blockers[0]).toMatch(/^app \(pid \d+\) stuck after the power button/);
    expect(result.host).toMatchObject({ ran: false, reason: 'qvm still alive: app, svc' });
    expect(r.stderr).toContain('app: the power button (SIGTERM)');
    expect(await readHostLog(h.stateDir)).toEqual([]);
  });

  it('a power-loss trigger passes --unmanaged stop: a qvm started by hand gets the power button instead of a refusal', async () => {
    await writeFleet();
    await startFleet();
    const byHand = await startQvmByHand(h.stateDir, 'by-hand.qvmconf', guestSpec('spare').qvmconf);
    const refused = await qvmctl(['shutdown', '-f', dir]);
    expect(refused.exitCode).toBe(3);
    expect(refused.stdout).toContain(`unmanaged qvm process ${byHand.pid} (shutdown.unmanaged: refuse)`);
    const r = await qvmctl(['shutdown', '-f', dir, '--unmanaged', 'stop', '-o', 'json']);
    expect(r.exitCode, r.stdout).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; guests: { guest: string; kind: string; end: string; step: string }[] };
    expect(result.guests).toContainEqual(expect.objectContaining({ guest: `pid:${byHand.pid}`, kind: 'unmanaged', end: 'stopped', step: 'power-button' }));
    expect(await byHand.exitCode()).toBe(0);
    expect((await readHostLog(h.stateDir)).map((l) => l.args)).toEqual(['poweroff']);
    const bad = await qvmctl(['shutdown', '-f', dir, '--unmanaged', 'kill']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain("Allowed choices are stop, leave, refuse");
  });
});
