// Consequences that make mistakes visible: killed qvm → unrecoverable hardware; one instance per system.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimDir, simConf, type SimDir } from '../helpers/sim-guest.js';

let sim: SimDir;
beforeEach(async () => { sim = await createSimDir('sim-damage'); });
afterEach(async () => { await sim.cleanup(); });

describe('simulated damage and exclusivity', () => {
  it('a killed qvm leaves its hardware claimed: the next start exits 64 until reset', async () => {
    const conf = sim.writeConf('a', simConf('a', 'boot-ms=20 shutdown-ms=20', 'pass loc mem:0x2000,0x1000,rw=0x1000'));
    const first = sim.start([`@${conf}`]);
    await sim.waitForJournal((l) => l.pid === first.pid && l.event === 'running');
    // The one place that kills a qvm on purpose: to show what it does.
    first.child.kill(9);
    expect(await first.exited).toBe('SIGKILL');
    const second = sim.start([`@${conf}`]);
    expect(await second.exited).toBe(64);
    expect(second.stderr()).toContain('pass-through hardware (mem:0x2000,0x1000,rw=0x1000) is unrecoverable');
    expect(sim.journal().filter((l) => l.pid === second.pid).map((l) => l.kind ?? l.event)).toEqual(['hardware', 'refused', 'exit']);
    expect(await sim.start([`@${conf}`]).exited).toBe(64);
    const reset = await sim.run(['reset', 'a']);
    expect(reset.stdout).toContain('cleared hardware claim');
    const third = sim.start([`@${conf}`]);
    await sim.waitForJournal((l) => l.pid === third.pid && l.event === 'running');
  });

  it('an orderly exit releases the hardware: the next start boots', async () => {
    const conf = sim.writeConf('b', simConf('b'));
    const first = sim.start([`@${conf}`]);
    await sim.waitForJournal((l) => l.pid === first.pid && l.event === 'running');
    first.child.kill('SIGQUIT');
    expect(await first.exited).toBe(3);
    const second = sim.start([`@${conf}`]);
    await sim.waitForJournal((l) => l.pid === second.pid && l.event === 'running');
  });

  it('refuses a second instance of a running system with exit 64', async () => {
    const conf = sim.writeConf('c', simConf('c'));
    const first = sim.start([`@${conf}`]);
    await sim.waitForJournal((l) => l.pid === first.pid && l.event === 'running');
    const second = sim.start([`@${conf}`]);
    expect(await second.exited).toBe(64);
    expect(second.stderr()).toContain('system c is already running');
    expect(first.child.exitCode).toBeNull();
  });

  it('two concurrent starts of one system: exactly one runs', async () => {
    const conf = sim.writeConf('d', simConf('d', 'boot-ms=50 shutdown-ms=20'));
    const runs = Array.from({ length: 4 }, () => sim.start([`@${conf}`]));
    const winner = await sim.waitForJournal((l) => l.event === 'running');
    const losers = runs.filter((r) => r.pid !== winner.pid);
    expect(await Promise.all(losers.map((r) => r.exited))).toEqual([64, 64, 64]);
    expect(sim.journal().filter((l) => l.event === 'boot')).toHaveLength(1);
  });

  it('the same system name in another QVM_SIM_DIR is another host', async () => {
    const other = await createSimDir('sim-damage-other');
    try {
      const a = sim.start([`@${sim.writeConf('e', simConf('e'))}`]);
      const b = other.start([`@${other.writeConf('e', simConf('e'))}`]);
      await sim.waitForJournal((l) => l.pid === a.pid && l.event === 'running');
      await other.waitForJournal((l) => l.pid === b.pid && l.event === 'running');
    } finally {
      await other.cleanup();
    }
  });
});
