// Each outcome of the stop ladder against the simulator; the journal proves which signals qvm got.
import { describe, expect, it } from 'vitest';
import { guestSpec, signalsIn, useHarness } from '../helpers/runtime-harness.js';

const h = useHarness();

describe('stop ladder', () => {
  it('ends with the guest command when the guest shuts itself down', async () => {
    const spec = guestSpec('cmd-ok');
    const guest = await h.startRunning(spec);
    const steps: string[] = [];
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest, { onStep: (s) => steps.push(s) });
    expect(outcome).toMatchObject({ result: 'stopped', step: 'guest-command', exit: { code: 0, requested: true, pid: guest.pid } });
    expect(steps).toEqual(['guest-command']);
    expect(signalsIn(await h.journal(), spec.name)).toEqual([]);
  });

  it('presses the power button when the guest ignores its shutdown command', async () => {
    const spec = guestSpec('cmd-ignored', { knobs: 'boot-ms=50 shutdown-ms=50 ignore-guest-shutdown', shutdown: { guestTimeoutMs: 300 } });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-button', exit: { code: 0, requested: true } });
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM']);
  });

  it('cuts the power (exit 3) when the guest ignores the power button and that is allowed', async () => {
    const spec = guestSpec('cut-allowed', {
      knobs: 'boot-ms=50 ignore-guest-shutdown ignore-power-button',
      shutdown: { guestTimeoutMs: 200, powerButtonTimeoutMs: 300, powerButton: 'graceful' as const, allowPowerCut: true },
    });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-cut', exit: { code: 3, requested: true } });
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM', 'SIGQUIT']);
  });

  it('reports stuck and leaves the guest running when the power cut is not allowed', async () => {
    const spec = guestSpec('stuck', {
      knobs: 'boot-ms=50 ignore-guest-shutdown ignore-power-button',
      shutdown: { guestTimeoutMs: 200, powerButtonTimeoutMs: 300, powerButton: 'graceful' as const, allowPowerCut: false },
    });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stuck', lastStep: 'power-button' });
    const observed = await h.runtime.observe();
    expect(observed.guests).toMatchObject([{ name: 'stuck', pid: guest.pid, stopping: true }]);
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM']);
  });

  it('skips the guest command when none is given and reports an already-gone guest', async () => {
    const spec = guestSpec('no-cmd', { shutdown: { guestCommand: undefined } });
    const guest = await h.startRunning(spec);
    const first = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(first).toMatchObject({ result: 'stopped', step: 'power-button' });
    const again = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(again).toMatchObject({ result: 'stopped', step: 'already-gone' });
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM']);
  });
});
