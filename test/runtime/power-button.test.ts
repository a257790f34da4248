// The stop ladder against each way a guest takes the power button (docs/shutdown.md, "The power
// button per guest"), with the simulator playing each (`power-button` knob); the journal proves
// which signals qvm got.
import { describe, expect, it } from 'vitest';
import { guestSpec, signalsIn, useHarness } from '../helpers/runtime-harness.js';

const h = useHarness();

describe('the power button per guest', () => {
  it('graceful: a press shuts the guest down (exit 0)', async () => {
    const spec = guestSpec('pb-graceful', { knobs: 'boot-ms=50 shutdown-ms=50 power-button=graceful', shutdown: { guestCommand: undefined, powerButton: 'graceful' } });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-button', exit: { code: 0, requested: true } });
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM']);
  });

  it('abrupt without consent: the button is never pressed, and a guest with no command is left running', async () => {
    const spec = guestSpec('pb-abrupt', { knobs: 'boot-ms=50 power-button=abrupt', shutdown: { guestCommand: undefined, powerButton: 'abrupt', allowPowerCut: false } });
    const guest = await h.startRunning(spec);
    const steps: string[] = [];
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest, { onStep: (s) => steps.push(s) });
    expect(outcome).toMatchObject({ result: 'stuck', lastStep: 'none' });
    expect(steps).toEqual([]);
    expect(signalsIn(await h.journal(), spec.name)).toEqual([]);
    expect((await h.runtime.observe()).guests).toMatchObject([{ name: 'pb-abrupt', pid: guest.pid }]);
  });

  it('abrupt without consent: the guest command is the only stop', async () => {
    const spec = guestSpec('pb-abrupt-cmd', { knobs: 'boot-ms=50 shutdown-ms=50 power-button=abrupt', shutdown: { powerButton: 'abrupt', allowPowerCut: false } });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'guest-command', exit: { code: 0 } });
    expect(signalsIn(await h.journal(), spec.name)).toEqual([]);
  });

  it('abrupt with consent: after an ignored guest command, the power cut, not the button', async () => {
    const spec = guestSpec('pb-abrupt-cut', {
      knobs: 'boot-ms=50 ignore-guest-shutdown power-button=abrupt',
      shutdown: { guestTimeoutMs: 200, powerButton: 'abrupt', allowPowerCut: true },
    });
    const guest = await h.startRunning(spec);
    const steps: string[] = [];
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest, { onStep: (s) => steps.push(s) });
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-cut', exit: { code: 3, requested: true } });
    expect(steps).toEqual(['guest-command', 'power-cut']);
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGQUIT']);
  });

  it('ignored: never pressed (a second press would end the guest), stuck after the guest command without consent', async () => {
    const spec = guestSpec('pb-ignored', {
      knobs: 'boot-ms=50 ignore-guest-shutdown power-button=ignored',
      shutdown: { guestTimeoutMs: 200, powerButton: 'ignored', allowPowerCut: false },
    });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stuck', lastStep: 'guest-command' });
    expect(signalsIn(await h.journal(), spec.name)).toEqual([]);
  });

  it('a guest that takes the button abruptly but is declared graceful ends at once by the press (exit 3)', async () => {
    const spec = guestSpec('pb-misdeclared', { knobs: 'boot-ms=50 power-button=abrupt', shutdown: { guestCommand: undefined, powerButton: 'graceful' } });
    const guest = await h.startRunning(spec);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'power-button', exit: { code: 3 } });
  });

  it('the simulator: an ignored button ends the guest at once on the second press', async () => {
    const spec = guestSpec('pb-twice', {
      knobs: 'boot-ms=50 power-button=ignored',
      shutdown: { guestCommand: undefined, powerButtonTimeoutMs: 200, powerButton: 'graceful', allowPowerCut: false },
    });
    const guest = await h.startRunning(spec);
    expect(await h.runtime.stop(spec.name, spec.shutdown, guest)).toMatchObject({ result: 'stuck', lastStep: 'power-button' });
    expect(await h.runtime.stop(spec.name, spec.shutdown, guest)).toMatchObject({ result: 'stopped', step: 'power-button', exit: { code: 3 } });
    expect(signalsIn(await h.journal(), spec.name)).toEqual(['SIGTERM', 'SIGTERM']);
  });
});
