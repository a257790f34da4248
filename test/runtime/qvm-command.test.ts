// How the runtime launches and recognizes qvm: the configured binary, or the bundled simulator.
import { describe, expect, it } from 'vitest';
import { createQvmLauncher, SIMULATOR_ENTRY, SIMULATOR_NODE_FLAGS } from '../../src/runtime/qvm-command.js';
import { SIM_NODE_FLAGS } from '../../src/sim/launch.js';
import { SIM_MAIN } from '../helpers/sim-guest.js';

describe('qvm launcher', () => {
  it('launches the simulator exactly as docs/simulator.md says', () => {
    expect(SIMULATOR_NODE_FLAGS).toEqual(SIM_NODE_FLAGS);
    expect(SIMULATOR_ENTRY).toBe(SIM_MAIN);
    const sim = createQvmLauncher({ qvm: { kind: 'simulator' }, simDir: '/s/sim', stateDir: '/s' });
    const argv = sim.argv('/s/guests/a/h.qvmconf', ['dump', '/d']);
    expect(argv).toEqual([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, '@/s/guests/a/h.qvmconf', 'dump', '/d']);
    expect(sim.isQvm(argv)).toBe(true);
    expect(sim.env).toEqual({ QVM_SIM_DIR: '/s/sim' });
    expect(sim.resolveCommand(['qvm-sim', 'guest', 'a', 'shutdown'])).toEqual([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, 'guest', 'a', 'shutdown']);
    expect(sim.isQvm([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, 'guest', 'a', 'shutdown'])).toBe(false);
  });

  it('sees only the simulated guests of its own state directory (another one is another simulated host)', () => {
    const sim = createQvmLauncher({ qvm: { kind: 'simulator' }, simDir: '/s/sim', stateDir: '/s' });
    expect(sim.isQvm([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, '@/s/stray.qvmconf'])).toBe(true);
    expect(sim.isQvm([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, '@/other/guests/a/h.qvmconf'])).toBe(false);
    expect(sim.isQvm([process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, '@/s2/guests/a/h.qvmconf'])).toBe(false);
    const qvm = createQvmLauncher({ qvm: { kind: 'path', path: '/usr/sbin/qvm' }, simDir: '/s/sim', stateDir: '/s' });
    expect(qvm.isQvm(['/usr/sbin/qvm', '@/anywhere/g.qvmconf'])).toBe(true);
  });

  it('launches a configured qvm binary and recognizes it by name and @config', () => {
    const qvm = createQvmLauncher({ qvm: { kind: 'path', path: '/usr/sbin/qvm' }, simDir: '/s/sim', stateDir: '/s' });
    expect(qvm.argv('/s/g.qvmconf', [])).toEqual(['/usr/sbin/qvm', '@/s/g.qvmconf']);
    expect(qvm.isQvm(['/usr/sbin/qvm', '@/s/g.qvmconf'])).toBe(true);
    expect(qvm.isQvm(['qvm', '@/etc/other.qvmconf'])).toBe(true);
    expect(qvm.isQvm(['/usr/sbin/qvm', 'dryrun'])).toBe(false);
    expect(qvm.isQvm(['/bin/vi', '@/s/g.qvmconf'])).toBe(false);
    expect(qvm.env).toEqual({});
    expect(qvm.resolveCommand(['qvm-sim', 'x'])).toEqual(['qvm-sim', 'x']);
  });
});
