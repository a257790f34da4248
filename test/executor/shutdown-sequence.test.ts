// The host shutdown sequence end to end on the simulator: the journal proves the order of exits, the
// signals sent and the damage done; the host command's log proves when (and whether) it ran.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { runShutdownSequence, type ShutdownResult } from '../../src/executor/shutdown-sequence.js';
import { loadGuestHistory } from '../../src/runtime/state/history.js';
import { signalsIn, useHarness } from '../helpers/runtime-harness.js';
import { cockpitFleet, desiredFleet, exitTime, orderViolations, readHostLog, testHost } from '../helpers/shutdown-fleet.js';

const h = useHarness();

const byGuest = (result: ShutdownResult) => Object.fromEntries(result.guests.map((g) => [g.guest, g]));

describe('host shutdown sequence', () => {
  it('stops the fleet in reverse dependency order, each by its own ladder, then runs the host command once', async () => {
    const guests = cockpitFleet();
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    const steps: string[] = [];
    const result = await runShutdownSequence({
      desired: desiredFleet(guests, testHost(h.stateDir)),
      runtime: h.runtime,
      mode: 'poweroff',
      hooks: { onLadderStep: (guest, step) => steps.push(`${guest}:${step}`) },
    });

    expect(result).toMatchObject({ status: 'completed', ok: true, blockers: [], alive: [], resumed: false });
    const g = byGuest(result);
    expect(g['svc']).toMatchObject({ end: 'stopped', step: 'guest-command', exitCode: 0 });
    expect(g['rear-seat']).toMatchObject({ end: 'stopped', step: 'guest-command', exitCode: 0 });
    expect(g['ivi']).toMatchObject({ end: 'stopped', step: 'power-button', exitCode: 0 });
    expect(g['telematics']).toMatchObject({ end: 'stopped', step: 'power-button', exitCode: 0 });
    expect(g['cluster']).toMatchObject({ end: 'stopped', step: 'power-cut', exitCode: 3 });
    expect(steps).toContain('cluster:power-cut');
    for (const r of result.guests) expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    // When each stop began and each ladder step with it, kept in the record (the web view's timeline).
    expect(g['cluster']?.steps?.map((s) => s.step)).toEqual(['guest-command', 'power-button', 'power-cut']);
    expect(g['telematics']?.steps?.map((s) => s.step)).toEqual(['power-button']);
    for (const r of result.guests) expect(r.startedAt).toBeGreaterThanOrEqual(result.startedAt);
    const svcStart = g['svc']?.startedAt ?? 0;
    for (const dependent of ['cluster', 'ivi', 'telematics']) expect(svcStart).toBeGreaterThanOrEqual((g[dependent]?.startedAt ?? Infinity) + (g[dependent]?.elapsedMs ?? 0));
    expect(await h.runtime.state.readShutdownRecord()).toMatchObject({ status: 'completed', startedAt: result.startedAt });

    const journal = await h.journal();
    expect(orderViolations(journal, guests)).toEqual([]);
    expect(signalsIn(journal, 'cluster')).toEqual(['SIGTERM', 'SIGQUIT']);
    expect(signalsIn(journal, 'svc')).toEqual([]);
    const dirty = journal.filter((l) => l.event === 'damage').map((l) => `${l.system}:${l.kind ?? ''}`);
    expect(dirty).toEqual(['cluster:disk']);

    const log = await readHostLog(h.stateDir);
    expect(log.map((l) => l.args)).toEqual(['poweroff']);
    const lastExit = Math.max(...guests.map((s) => exitTime(journal, s.name) ?? Infinity));
    expect(log[0]?.at).toBeGreaterThanOrEqual(lastExit);
    expect(result.host).toMatchObject({ ran: true, forced: false, result: { exitCode: 0 } });
    // The fence stays up: nothing may start the guests again until an operator lifts it.
    expect(await h.runtime.state.readFence()).toBeDefined();
    // Every exit the sequence observed is in the guest's history: nothing is lost.
    const histories = await Promise.all(guests.map((s) => loadGuestHistory({ stateDir: h.stateDir, name: s.name })));
    expect(histories.map((hist) => `${hist.name}:${String(hist.lastExit?.code)}:${String(hist.lastExit?.requested)}`).sort())
      .toEqual(guests.map((s) => `${s.name}:${s.name === 'cluster' ? 3 : 0}:true`).sort());
  });

  it('does not run the host command while a guest is stuck, and names it and what it blocks', async () => {
    const guests = cockpitFleet({
      ivi: { knobs: 'boot-ms=50 ignore-guest-shutdown ignore-power-button', shutdown: { guestTimeoutMs: 200, powerButtonTimeoutMs: 300, powerButton: 'graceful' as const, allowPowerCut: false } },
    });
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    const ends: string[] = [];
    const result = await runShutdownSequence({
      desired: desiredFleet(guests, testHost(h.stateDir)), runtime: h.runtime, mode: 'poweroff',
      hooks: { onGuestEnd: (r) => ends.push(`${r.guest}:${r.end}:${r.blockedBy ?? ''}`) },
    });

    expect(result).toMatchObject({ status: 'blocked', ok: false, host: { ran: false, result: undefined } });
    expect(ends.indexOf('svc:blocked:ivi')).toBe(ends.indexOf('ivi:stuck:') + 1);
    expect(ends).toContain('ivi:stuck:');
    const g = byGuest(result);
    expect(g['ivi']).toMatchObject({ end: 'stuck', step: 'power-button' });
    expect(g['svc']).toMatchObject({ end: 'blocked', blockedBy: 'ivi' });
    expect(g['rear-seat']).toMatchObject({ end: 'stopped' });
    expect(g['cluster']).toMatchObject({ end: 'stopped', step: 'power-cut' });
    expect(result.alive.map((a) => a.guest).sort()).toEqual(['ivi', 'svc']);
    expect(result.blockers[0]).toMatch(/^ivi \(pid \d+\) stuck after the power button/);
    expect(result.blockers[1]).toMatch(/^svc \(pid \d+\) not stopped: waits for ivi$/);
    expect(result.host.reason).toBe('qvm still alive: ivi, svc');
    expect(await readHostLog(h.stateDir)).toEqual([]);
    const journal = await h.journal();
    expect(signalsIn(journal, 'svc')).toEqual([]);
    expect(journal.filter((l) => l.event === 'damage').map((l) => l.system)).toEqual(['cluster']);
  });

  it('runs the host command despite a stuck guest only when forced', async () => {
    const guests = cockpitFleet({
      telematics: { knobs: 'boot-ms=50 ignore-power-button', shutdown: { guestCommand: undefined, powerButtonTimeoutMs: 200, powerButton: 'graceful' as const, allowPowerCut: false } },
    }).filter((s) => s.name === 'svc' || s.name === 'telematics');
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    const result = await runShutdownSequence({
      desired: desiredFleet(guests, testHost(h.stateDir)), runtime: h.runtime, mode: 'reboot', forceHost: true,
    });
    expect(result).toMatchObject({ status: 'blocked', ok: false, host: { ran: true, forced: true, result: { exitCode: 0 } } });
    expect((await readHostLog(h.stateDir)).map((l) => l.args)).toEqual(['reboot']);
  });

  it('leaves the host alone with mode none, and a rerun resumes under the same fence', async () => {
    const guests = cockpitFleet().filter((s) => s.name === 'svc' || s.name === 'rear-seat').map((s) => ({ ...s, dependsOn: [] }));
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    const desired = desiredFleet(guests, testHost(h.stateDir));
    const first = await runShutdownSequence({ desired, runtime: h.runtime, mode: 'none' });
    expect(first).toMatchObject({ status: 'completed', ok: true, host: { ran: false, reason: 'not requested' } });
    // The fence says the host stays up, not that its shutdown is under way.
    expect(first.fence.reason).toMatch(/^guests stopped by a shutdown without the host \(--no-host\), pid \d+$/);
    const again = await runShutdownSequence({ desired, runtime: h.runtime, mode: 'poweroff' });
    expect(again).toMatchObject({ status: 'completed', ok: true, resumed: true, guests: [], fence: first.fence });
    expect((await readHostLog(h.stateDir)).map((l) => l.args)).toEqual(['poweroff']);
  });

  it('runs the host command with the exit records still where the monitors wrote them, and folds them after', async () => {
    const guests = cockpitFleet().filter((s) => s.name === 'svc' || s.name === 'rear-seat').map((s) => ({ ...s, dependsOn: [] }));
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    const unclaimedAtHostCommand: string[] = [];
    const result = await runShutdownSequence({
      desired: desiredFleet(guests, testHost(h.stateDir)), runtime: h.runtime, mode: 'poweroff',
      runHostCommand: async () => {
        // A host that powered off here would find these records on the first look after boot.
        for (const spec of guests) {
          const files = await readdir(join(h.stateDir, 'guests', spec.name));
          if (files.some((f) => f.endsWith('.exit.json'))) unclaimedAtHostCommand.push(spec.name);
        }
        return { exitCode: 0, signal: undefined, detail: undefined };
      },
    });
    expect(result).toMatchObject({ status: 'completed', ok: true });
    expect(unclaimedAtHostCommand.sort()).toEqual(['rear-seat', 'svc']);
    const histories = await Promise.all(guests.map((s) => loadGuestHistory({ stateDir: h.stateDir, name: s.name })));
    expect(histories.map((hist) => hist.lastExit?.requested)).toEqual([true, true]);
  });
});
