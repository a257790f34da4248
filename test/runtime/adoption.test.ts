// Guests outlive qvmctl: exits recorded while no qvmctl runs, adoption after a qvmctl process is
// SIGKILLed (the driver, never a qvm) mid-start and mid-stop, one qvm for concurrent starts, and
// no adoption or signal for a PID whose identity does not verify.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { guestSpec, signalsIn, SIM_HOST, useHarness } from '../helpers/runtime-harness.js';
import { SIM_ARGV } from '../helpers/sim-guest.js';
import { waitFor } from '../helpers/wait-for.js';

const DRIVER = resolve(import.meta.dirname, '../fixtures/runtime-driver.ts');
const table = createLinuxProcessTable();

const h = useHarness();

function runDriver(action: 'start' | 'stop', spec: GuestSpec) {
  const input = JSON.stringify({ stateDir: h.stateDir, host: SIM_HOST, action, spec });
  return execa(process.execPath, ['--import', 'tsx', DRIVER, input], { reject: false, forceKillAfterDelay: false, cwd: resolve(import.meta.dirname, '../..') });
}

function driverOutput(stdout: unknown): { ok: boolean; name?: string } {
  return JSON.parse(String(stdout)) as { ok: boolean; name?: string };
}

describe('adoption', () => {
  it('records exit codes while no qvmctl runs', async () => {
    // The crash comes well after the driver's start (and its start grace) has returned.
    const spec = guestSpec('orphan', { knobs: 'boot-ms=50 crash-after-ms=1500' });
    const result = await runDriver('start', spec);
    expect(driverOutput(result.stdout)).toMatchObject({ ok: true });
    const guestDir = join(h.stateDir, 'guests', 'orphan');
    await waitFor(async () => (await readdir(guestDir)).some((f) => f.endsWith('.exit.json')), { timeoutMs: 15_000 });
    const observed = await h.newRuntime().observe();
    expect(observed.exits).toMatchObject([{ name: 'orphan', code: 96, requested: false }]);
  });

  it('adopts a guest whose start was cut short by a SIGKILLed qvmctl, without restarting it', async () => {
    const spec = guestSpec('midstart');
    const driver = runDriver('start', spec);
    const guestDir = join(h.stateDir, 'guests', 'midstart');
    const pidFile = await waitFor(async () => (await readdir(guestDir).catch(() => [])).find((f) => f.endsWith('.pid')), { timeoutMs: 15_000 });
    driver.kill('SIGKILL');
    await driver;
    // Whether or not the driver got to record the identity, the monitor's records suffice.
    await rm(join(guestDir, 'identity.json'), { force: true });
    const pid = Number(await waitFor(async () => (await readFile(join(guestDir, pidFile), 'utf8')).trim()));

    const runtime = h.newRuntime();
    const observed = await waitFor(async () => {
      const o = await runtime.observe();
      return o.guests.length > 0 ? o : undefined;
    });
    expect(observed.guests).toMatchObject([{ name: 'midstart', pid }]);
    expect(observed.unmanaged.filter((p) => p.argv.some((a) => a.includes(h.stateDir)))).toEqual([]);
    await expect(runtime.start(spec)).rejects.toMatchObject({ name: 'GuestAlreadyRunningError', pid });
    await waitFor(async () => (await h.journal()).some((l) => l.event === 'running' && l.pid === pid));
    expect((await h.journal()).filter((l) => l.event === 'boot')).toHaveLength(1);
  });

  it('finishes a stop that a SIGKILLed qvmctl left half done', async () => {
    const spec = guestSpec('midstop', {
      knobs: 'boot-ms=50 ignore-guest-shutdown ignore-power-button',
      shutdown: { guestTimeoutMs: 100, powerButtonTimeoutMs: 60_000, powerButton: 'graceful' as const, allowPowerCut: false },
    });
    const guest = await h.startRunning(spec);
    const driver = runDriver('stop', spec);
    await waitFor(async () => signalsIn(await h.journal(), 'midstop').includes('SIGTERM'), { timeoutMs: 15_000 });
    driver.kill('SIGKILL');
    await driver;

    const runtime = h.newRuntime();
    const observed = await runtime.observe();
    expect(observed.guests).toMatchObject([{ name: 'midstop', pid: guest.pid, processStart: guest.processStart, stopping: true }]);
    const cut = { ...spec.shutdown, guestCommand: undefined, powerButtonTimeoutMs: 200, powerButton: 'graceful' as const, allowPowerCut: true };
    const outcome = await runtime.stop('midstop', cut, observed.guests[0] ?? guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-cut', exit: { code: 3, requested: true } });
  });

  it('starts one qvm when two qvmctl processes start the same guest at once', async () => {
    const spec = guestSpec('twice');
    const results = await Promise.all([runDriver('start', spec), runDriver('start', spec)]);
    const outputs = results.map((r) => driverOutput(r.stdout));
    expect(outputs.filter((o) => o.ok)).toHaveLength(1);
    expect(outputs.filter((o) => !o.ok)).toMatchObject([{ name: 'GuestAlreadyRunningError' }]);
    const guests = (await h.newRuntime().observe()).guests;
    expect(guests).toHaveLength(1);
    await waitFor(async () => (await h.journal()).some((l) => l.event === 'running' && l.pid === guests[0]?.pid));
    expect((await h.journal()).filter((l) => l.event === 'boot' && l.system === 'twice')).toHaveLength(1);
  });

  it('neither adopts nor signals a PID whose identity does not verify', async () => {
    const real = await h.startRunning(guestSpec('real'));
    const ghost = guestSpec('ghost');
    const ghostDir = join(h.stateDir, 'guests', 'ghost');
    await h.runtime.observe(); // creates the state layout
    await execa('mkdir', ['-p', '-m', '700', ghostDir]);
    const ghostConf = join(ghostDir, `${ghost.configHash}.qvmconf`);
    // The recorded PID now belongs to another guest's qvm: same PID, wrong start time.
    const forged = { name: 'ghost', runId: '1-a', pid: real.pid, processStart: '1', configHash: ghost.configHash, confPath: ghostConf, startedAt: 1, consoleOffset: 0 };
    await writeFile(join(ghostDir, 'identity.json'), JSON.stringify(forged));

    const observed = await h.runtime.observe();
    expect(observed.guests.map((g) => g.name)).toEqual(['real']);
    const fake = { name: 'ghost', pid: real.pid, processStart: '1', configHash: ghost.configHash, startedAt: 1, ready: false, stopping: false };
    const outcome = await h.runtime.stop('ghost', { ...ghost.shutdown, guestCommand: undefined, allowPowerCut: true }, fake);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'already-gone' });
    expect(signalsIn(await h.journal(), 'real')).toEqual([]);
    expect((await table.get(real.pid))?.start).toBe(real.processStart);
  });

  it('reports a qvm it did not start as unmanaged and stops it only on request', async () => {
    const conf = join(h.stateDir, 'stray.qvmconf');
    await writeFile(conf, guestSpec('stray').qvmconf);
    const [node = process.execPath, ...simArgs] = SIM_ARGV;
    const stray = execa(node, [...simArgs, `@${conf}`], {
      detached: true, cleanup: false, forceKillAfterDelay: false, stdio: 'ignore', reject: false,
      env: { QVM_SIM_DIR: join(h.stateDir, 'sim') },
    });
    const unmanaged = await waitFor(async () => (await h.runtime.observe()).unmanaged.find((p) => p.pid === stray.pid));
    // qvm has set up its signal handling once the guest runs.
    await waitFor(async () => (await h.journal()).some((l) => l.system === 'stray' && l.event === 'running'));
    expect((await h.runtime.observe()).guests).toEqual([]);
    const shutdown = { guestCommand: undefined, guestTimeoutMs: 0, powerButtonTimeoutMs: 5_000, powerButton: 'graceful' as const, allowPowerCut: false, powerCutTimeoutMs: 0 };
    expect(await h.runtime.stopUnmanaged(unmanaged, shutdown)).toMatchObject({ result: 'stopped', step: 'power-button', exit: undefined });
    expect((await stray).exitCode).toBe(0);
  });
});
