// Start and observe against the simulator: identity, console log, readiness, exits, refusals.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuestAlreadyRunningError, GuestStartError } from '../../src/runtime/errors.js';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { guestSpec, signalsIn, useHarness } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const table = createLinuxProcessTable();
const h = useHarness();

describe('start and observe', () => {
  it('starts qvm detached, records its identity and observes it as the guest', async () => {
    const spec = guestSpec('alpha', { readiness: { kind: 'log', pattern: 'login:', timeoutMs: 10_000 } });
    const guest = await h.runtime.start(spec);
    expect(guest).toMatchObject({ name: 'alpha', configHash: spec.configHash, ready: false, stopping: false });

    const dir = join(h.stateDir, 'guests', 'alpha');
    expect((await stat(h.stateDir)).mode & 0o777).toBe(0o700);
    expect(await readFile(join(dir, `${spec.configHash}.qvmconf`), 'utf8')).toBe(spec.qvmconf);
    expect(JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8'))).toMatchObject({ pid: guest.pid, processStart: guest.processStart });

    expect(await h.runtime.waitReady(spec, guest)).toBe(true);
    expect(await readFile(join(dir, 'console.log'), 'utf8')).toContain('login:');
    const observed = await h.runtime.observe();
    expect(observed.guests).toEqual([{ ...guest, ready: true }]);
    // Other tests' qvm processes on this host are unmanaged here; none of this state directory's are.
    expect(observed.unmanaged.filter((p) => p.argv.some((a) => a.includes(h.stateDir)))).toEqual([]);
  });

  it('keeps qvm running and still records its exit when the monitor itself is signalled', async () => {
    const spec = guestSpec('monitored');
    const guest = await h.startRunning(spec);
    const monitor = await waitFor(async () =>
      (await table.list((argv) => argv[0] === '/bin/sh' && argv.includes(join(h.stateDir, 'guests', 'monitored')))).find((p) => p.argv[1]?.endsWith('monitor.sh')),
    );
    // A host-wide SIGTERM reaches the monitor too: it neither dies nor passes it on.
    process.kill(monitor.pid, 'SIGTERM');
    await waitFor(async () => (await h.journal()).some((l) => l.event === 'running' && l.pid === guest.pid));
    expect(signalsIn(await h.journal(), 'monitored')).toEqual([]);
    expect((await table.get(monitor.pid))?.zombie).toBe(false);
    const outcome = await h.runtime.stop(spec.name, spec.shutdown, guest);
    expect(outcome).toMatchObject({ result: 'stopped', step: 'guest-command', exit: { code: 0, requested: true } });
  });

  it('refuses to start a guest that already runs', async () => {
    const spec = guestSpec('once');
    const guest = await h.runtime.start(spec);
    await expect(h.runtime.start(spec)).rejects.toMatchObject({ name: 'GuestAlreadyRunningError', pid: guest.pid });
    await expect(h.newRuntime().start(spec)).rejects.toBeInstanceOf(GuestAlreadyRunningError);
    await waitFor(async () => (await h.journal()).some((l) => l.event === 'running' && l.pid === guest.pid));
    expect((await h.journal()).filter((l) => l.event === 'boot')).toHaveLength(1);
  });

  it('reports an immediate configuration error (65) with the console tail', async () => {
    const spec = guestSpec('broken', { extraConf: 'frobnicate 12\n' });
    // A generous grace: on a loaded machine the simulator may take a while to reach its config check.
    const runtime = h.newRuntime({ tuning: { pollMs: 20, startGraceMs: 15_000 } });
    const error = await runtime.start(spec).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GuestStartError);
    expect(error).toMatchObject({ code: 65 });
    expect((error as GuestStartError).consoleTail).toMatch(/frobnicate/);
    const observed = await h.runtime.observe();
    expect(observed.guests).toEqual([]);
    expect(observed.exits).toMatchObject([{ name: 'broken', code: 65, requested: false }]);
  });

  it('watches the simulator past the start grace until it is past its start-up checks', async () => {
    // No grace at all: the simulator (a Node program) always reaches its check after it, and the
    // start still reports the 64 rather than a started guest.
    // The watch lasts at most the spawn timeout: a long one, so a start that waited it out shows.
    const runtime = h.newRuntime({ tuning: { pollMs: 20, startGraceMs: 0, spawnTimeoutMs: 40_000 } });
    const error = await runtime.start(guestSpec('unlucky', { knobs: 'boot-ms=20 fail-start' })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GuestStartError);
    expect(error).toMatchObject({ code: 64 });
    // A guest that gets past them is started as soon as it says so, not at the spawn timeout.
    const begun = Date.now();
    const guest = await runtime.start(guestSpec('lucky', { knobs: 'boot-ms=20' }));
    expect(Date.now() - begun).toBeLessThan(30_000);
    expect(await readFile(join(h.stateDir, 'guests', 'lucky', 'console.log'), 'utf8')).toContain(`lucky: booting (qvm-sim pid ${guest.pid})`);
  });

  it('reports each exit until it is acknowledged, with the code the guest ended with', async () => {
    const spec = guestSpec('crasher', { knobs: 'boot-ms=50 crash-after-ms=200' });
    // No start grace: start returns as soon as the simulator begins to boot, so the crash comes after it.
    const guest = await h.newRuntime({ tuning: { pollMs: 20, startGraceMs: 0 } }).start(spec);
    const exits = await waitFor(async () => {
      const o = await h.runtime.observe();
      return o.exits.length > 0 ? o.exits : undefined;
    });
    expect(exits).toMatchObject([{ name: 'crasher', pid: guest.pid, code: 96, signal: null, requested: false }]);
    // A look writes nothing: the exit is reported again until it is acknowledged, then never again.
    expect((await h.runtime.observe()).exits).toEqual(exits);
    await h.runtime.acknowledgeExits(exits);
    await h.runtime.acknowledgeExits(exits);
    expect((await h.runtime.observe()).exits).toEqual([]);
    expect(await h.runtime.waitReady({ ...spec, readiness: { kind: 'uptime', minUptimeMs: 60_000 } }, guest)).toBe(false);
  });

  it('waits for readiness by uptime and by command', async () => {
    const spec = guestSpec('ready', { readiness: { kind: 'uptime', minUptimeMs: 200 } });
    const guest = await h.runtime.start(spec);
    expect(await h.runtime.waitReady(spec, guest)).toBe(true);
    const byCommand = { kind: 'command', argv: ['qvm-sim', 'guest', 'ready', 'status'], intervalMs: 50, timeoutMs: 10_000 } as const;
    expect(await h.runtime.waitReady({ ...spec, readiness: byCommand }, guest)).toBe(true);
  });
});
