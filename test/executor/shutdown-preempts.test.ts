// The fence is obeyed by every pass, and raising it cuts a
// pass under way short, so the host shutdown starts its stops at once instead of waiting for it
// (docs/shutdown.md, "One fence, every path" and "Shutdown preempts").
import { fallbackShutdown } from '../../src/planner/shutdown-plan.js';
import { HOST_DEFAULTS } from '../../src/manifest/defaults.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import { FENCE_POLL_MS } from '../../src/executor/fence-watch.js';
import { PASS_LOCK_PREEMPT_MS } from '../../src/executor/pass-lock-hold.js';
import { FencedPlanError, runPass, type PassResult } from '../../src/executor/reconcile-pass.js';
import { runShutdownSequence, SHUTDOWN_TUNING } from '../../src/executor/shutdown-sequence.js';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import { createOneOffPlan } from '../../src/planner/one-off-plan.js';
import type { HostPort } from '../../src/runtime/port.js';
import { guestSpec, useHarness, type JournalLine } from '../helpers/runtime-harness.js';
import { desiredFleet, firstStopRequest, readHostLog, testHost, withDeps } from '../helpers/shutdown-fleet.js';
import { waitFor } from '../helpers/wait-for.js';

const h = useHarness();

/** A guest whose readiness line never comes: its start waits 90 s for it. */
const slowToBeReady = (name: string): GuestSpec => guestSpec(name, { readiness: { kind: 'log', pattern: 'never printed', timeoutMs: 90_000 } });

/** Guests whose start (launch and start grace) has returned: their pass is in the readiness wait then. */
const launched = new Set<string>();
beforeEach(() => { launched.clear(); });
const launchesSeen = (runtime: HostPort): HostPort => ({
  ...runtime,
  start: async (spec) => {
    const guest = await runtime.start(spec);
    launched.add(spec.name);
    return guest;
  },
});

const boots = (journal: readonly JournalLine[], system: string): number => journal.filter((l) => l.system === system && l.event === 'boot').length;
const stepsOf = (pass: PassResult) => Object.fromEntries(pass.execution.steps.map((s) => [`${s.kind} ${s.guest}`, { status: s.status, detail: s.detail, fenced: s.fenced === true }]));
/** The first stop request the journal shows for any of these systems. */
const firstStop = (journal: readonly JournalLine[], systems: readonly string[]): number =>
  Math.min(...systems.map((s) => firstStopRequest(journal, s) ?? Number.POSITIVE_INFINITY));

describe('the shutdown preempts a pass under way', () => {
  it('a pass in a 90 s readiness wait ends at once when this process raises the fence; the stops start without waiting', async () => {
    const base = guestSpec('base');
    const slow = slowToBeReady('slow');
    const top = withDeps(guestSpec('top'), ['slow']);
    const desired = desiredFleet([base, slow, top], testHost(h.stateDir));
    await h.startRunning(base);

    const passing = runPass({ desired, runtime: launchesSeen(h.runtime), explicit: false });
    // The pass has launched `slow` and now waits for its readiness line; `top` waits behind it.
    await waitFor(() => launched.has('slow'), { timeoutMs: 20_000, message: 'slow launched' });

    const stopsBegan: number[] = [];
    const t0 = Date.now();
    const shutdown = runShutdownSequence({
      desired, runtime: h.newRuntime({ tuning: SHUTDOWN_TUNING }), mode: 'poweroff', hooks: { onGuestStart: () => stopsBegan.push(Date.now()) },
    });
    const pass = await passing;
    const passEnded = Date.now();
    const result = await shutdown;

    expect(passEnded - t0).toBeLessThan(1_000);
    expect(stepsOf(pass)).toEqual({
      'start slow': { status: 'failed', detail: expect.stringMatching(/^started \(pid \d+\), readiness wait cut short: fence up$/) as unknown, fenced: true },
      'start top': { status: 'skipped', detail: 'not started: fence up', fenced: true },
    });
    expect(pass.execution.fenced).toEqual([{ guest: 'slow', kind: 'start' }, { guest: 'top', kind: 'start' }]);

    expect(result).toMatchObject({ status: 'completed', ok: true, alive: [] });
    expect(Math.min(...stopsBegan) - t0).toBeLessThan(1_000);
    const journal = await h.journal();
    expect(boots(journal, 'top')).toBe(0);
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
  });

  it(`a pass notices a fence raised by another process at its next look (every ${FENCE_POLL_MS} ms)`, async () => {
    const slow = slowToBeReady('slow');
    const top = withDeps(guestSpec('top'), ['slow']);
    const desired = desiredFleet([slow, top], testHost(h.stateDir));
    const passing = runPass({ desired, runtime: launchesSeen(h.runtime), explicit: false });
    await waitFor(() => launched.has('slow'), { timeoutMs: 20_000, message: 'slow launched' });

    // Written to the state directory directly, as another qvmctl's shutdown would.
    const t0 = Date.now();
    await h.newRuntime().state.raiseFence({ since: t0, reason: 'another process' });
    const pass = await passing;
    expect(Date.now() - t0).toBeLessThan(FENCE_POLL_MS + 1_000);
    expect(stepsOf(pass)['start top']).toEqual({ status: 'skipped', detail: 'not started: fence up', fenced: true });
    expect(boots(await h.journal(), 'top')).toBe(0);
  });

  it('does not wait for a pass that keeps the pass lock: it goes on after the short wait and takes the lock once free', async () => {
    const guests = [guestSpec('a'), withDeps(guestSpec('b'), ['a'])];
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    // A pass that does not let go (a stop ladder of its own that runs to its end).
    let letGo!: () => void;
    const holding = h.newRuntime().withPassLock(() => new Promise<void>((resolve) => { letGo = resolve; }));
    await waitFor(() => letGo as (() => void) | undefined, { timeoutMs: 5_000, message: 'pass lock taken' });

    const busy: (number | undefined)[] = [];
    const stopsBegan: number[] = [];
    const t0 = Date.now();
    const shutdown = runShutdownSequence({
      desired: desiredFleet(guests, testHost(h.stateDir)), runtime: h.newRuntime({ tuning: SHUTDOWN_TUNING }), mode: 'none',
      hooks: { onPassLockBusy: (pid) => busy.push(pid), onGuestStart: () => stopsBegan.push(Date.now()) },
    });
    // The guests stop while the lock is still held.
    await waitFor(async () => Number.isFinite(firstStop(await h.journal(), ['a'])), { timeoutMs: 10_000, message: 'a stops' });
    expect(stopsBegan[0]).toBeDefined();
    expect((stopsBegan[0] ?? 0) - t0).toBeGreaterThanOrEqual(PASS_LOCK_PREEMPT_MS - 50);
    expect((stopsBegan[0] ?? Infinity) - t0).toBeLessThan(PASS_LOCK_PREEMPT_MS + 1_000);
    expect(busy).toEqual([process.pid]);

    letGo();
    await holding;
    const result = await shutdown;
    expect(result).toMatchObject({ status: 'completed', alive: [] });
    // The sequence took the lock once it was free and gave it up at its end: a pass may run again.
    await h.runtime.withPassLock(() => Promise.resolve(), { timeoutMs: 1_000 });
  });

  it('stops, in a further round, a qvm that appears after its first look (a start already past its fence check)', async () => {
    const guests = [guestSpec('early'), guestSpec('late')];
    await Promise.all(guests.map((spec) => h.startRunning(spec)));
    // The first look misses `late`, as if its qvm were launched just after it.
    const runtime = h.newRuntime({ tuning: SHUTDOWN_TUNING });
    let looks = 0;
    const missingLate: HostPort = {
      ...runtime,
      observe: async () => {
        const observed = await runtime.observe();
        looks++;
        return looks === 1 ? { ...observed, guests: observed.guests.filter((g) => g.name !== 'late') } : observed;
      },
    };
    const result = await runShutdownSequence({ desired: desiredFleet(guests, testHost(h.stateDir)), runtime: missingLate, mode: 'poweroff' });
    expect(result.plan.waves.flat().map((s) => s.guest)).toEqual(['early']);
    expect(result).toMatchObject({ status: 'completed', ok: true, alive: [] });
    expect(result.guests.map((g) => `${g.guest}:${g.end}`).sort()).toEqual(['early:stopped', 'late:stopped']);
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
  });
});

describe('a pass given a signal', () => {
  it('ends the same way when its own signal fires, saying why', async () => {
    const slow = slowToBeReady('slow');
    const top = withDeps(guestSpec('top'), ['slow']);
    const controller = new AbortController();
    const passing = runPass({ desired: desiredFleet([slow, top], testHost(h.stateDir)), runtime: launchesSeen(h.runtime), explicit: false, signal: controller.signal });
    await waitFor(() => launched.has('slow'), { timeoutMs: 20_000, message: 'slow launched' });
    controller.abort(new Error('the daemon is stopping'));
    const pass = await passing;
    expect(stepsOf(pass)['start top']).toEqual({ status: 'skipped', detail: 'not started: the daemon is stopping', fenced: true });
    expect(stepsOf(pass)['start slow']?.detail).toMatch(/readiness wait cut short: the daemon is stopping$/);
  });
});

describe('one fence, every path', () => {
  it('a pass refuses a chosen plan that would start a guest under the fence, before doing anything', async () => {
    const guests = [guestSpec('dep'), withDeps(guestSpec('app'), ['dep'])];
    const desired = desiredFleet(guests, testHost(h.stateDir));
    await h.runtime.state.raiseFence({ since: Date.now(), reason: 'host shutdown (none) by pid 1' });
    const refused = runPass({
      desired, runtime: h.runtime, explicit: true,
      choosePlan: (prepared) => createOneOffPlan({ action: 'start', name: 'app', desired, running: prepared.observation.guests }),
    });
    await expect(refused).rejects.toThrow(FencedPlanError);
    await expect(refused).rejects.toThrow(/^the shutdown fence is up since .*: not starting app, dep; nothing was done\. Lift it with `qvmctl fence --lift` first$/);
    // The daemon's own plan under the fence holds the starts instead.
    const pass = await runPass({ desired, runtime: h.runtime, explicit: false });
    expect(pass.plan.holds.map((hold) => `${hold.guest}:${hold.reason}`).sort()).toEqual(['app:fenced', 'dep:fenced']);
    expect(await h.journal()).toEqual([]);
  });

  it('a start the runtime refuses for the fence is reported "not started: fence up", not as a crash', async () => {
    const guests = [guestSpec('dep'), withDeps(guestSpec('app'), ['dep'])];
    const desired = desiredFleet(guests, testHost(h.stateDir));
    // A plan made before the fence went up, executed after: only the runtime's own check is left.
    const plan = createOneOffPlan({ action: 'start', name: 'app', desired, running: [] });
    await h.runtime.state.raiseFence({ since: Date.now(), reason: 'test' });
    const result = await executePlan({ plan, guests, running: [], runtime: h.runtime, concurrency: 4, fallbackShutdown: fallbackShutdown(HOST_DEFAULTS) });
    expect(result.steps.map((s) => `${s.kind} ${s.guest}: ${s.status}: ${s.detail}`)).toEqual([
      'start app: skipped: skipped: start:dep did not succeed',
      'start dep: skipped: not started: fence up',
    ]);
    expect(result.fenced).toEqual([{ guest: 'dep', kind: 'start' }]);
    expect(await h.journal()).toEqual([]);
  });
});
