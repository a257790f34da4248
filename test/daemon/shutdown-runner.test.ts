// The daemon's host shutdown: same sequence, last good desired state, logged, single-flight.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createShutdownRunner, NoDesiredStateError } from '../../src/daemon/shutdown-runner.js';
import { guestSpec, useHarness } from '../helpers/runtime-harness.js';
import { desiredFleet, readHostLog, testHost } from '../helpers/shutdown-fleet.js';

const h = useHarness();

function captureLogs(): { logger: pino.Logger; lines: { msg: string; guest?: string }[] } {
  const lines: { msg: string; guest?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line) as { msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('daemon shutdown runner', () => {
  it('runs the sequence once for concurrent requests and logs every guest', async () => {
    const svc = guestSpec('svc', { shutdown: { guestTimeoutMs: 2_000 } });
    await h.startRunning(svc);
    const { logger, lines } = captureLogs();
    const runner = createShutdownRunner({ stateDir: h.stateDir, logger, desired: () => desiredFleet([svc], testHost(h.stateDir)) });
    const [a, b] = await Promise.all([runner.run({ mode: 'poweroff', forceHost: false }), runner.run({ mode: 'poweroff', forceHost: false })]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ status: 'completed', ok: true, host: { ran: true } });
    expect(runner.running).toBe(false);
    expect(await readHostLog(h.stateDir)).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['host shutdown requested', 'fence raised', 'running the host command', 'host shutdown done']));
    expect(lines).toContainEqual(expect.objectContaining({ guest: 'svc', msg: 'stopped by the guest shutdown command, exit 0' }));
  });

  it('refuses before any manifest has loaded', async () => {
    const runner = createShutdownRunner({ stateDir: h.stateDir, logger: captureLogs().logger, desired: () => undefined });
    await expect(runner.run({ mode: 'poweroff', forceHost: false })).rejects.toBeInstanceOf(NoDesiredStateError);
  });
});
