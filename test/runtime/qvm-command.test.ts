// How the runtime launches and recognizes qvm: the configured binary, or the bundled simulator.
// A qvm is a process whose executable is qvm, whatever its arguments (docs/runtime.md, "Which processes are qvm").
import { describe, expect, it } from 'vitest';
import type { ProcessEntry, ProcessTable } from '../../src/runtime/proc-table/types.js';
import { parseEnviron } from '../../src/runtime/proc-table/linux.js';
import { createQvmLauncher, isQvmCommandLine, onThisHost, SIMULATOR_ENTRY, SIMULATOR_NODE_FLAGS } from '../../src/runtime/qvm-command.js';
import { SIM_NODE_FLAGS } from '../../src/sim/launch.js';
import { SIM_MAIN } from '../helpers/sim-guest.js';

const SIM = [process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN];
const QVM = { kind: 'path', path: '/usr/sbin/qvm' } as const;

/** A process table that knows only environments (what `onThisHost` reads). */
function tableWith(environments: ReadonlyMap<number, { variables: Record<string, string>; cwd?: string } | undefined>, withEnvironment = true): ProcessTable {
  return {
    list: () => Promise.resolve([]),
    get: () => Promise.resolve(undefined),
    ...(withEnvironment ? {
      environment: (pid: number) => {
        const e = environments.get(pid);
        return Promise.resolve(e === undefined ? undefined : { variables: new Map(Object.entries(e.variables)), cwd: e.cwd });
      },
    } : {}),
  };
}
const entry = (pid: number, argv: readonly string[]): ProcessEntry => ({ pid, start: '1', zombie: false, argv });

describe('qvm launcher', () => {
  it('launches the simulator exactly as docs/simulator.md says', () => {
    expect(SIMULATOR_NODE_FLAGS).toEqual(SIM_NODE_FLAGS);
    expect(SIMULATOR_ENTRY).toBe(SIM_MAIN);
    const sim = createQvmLauncher({ qvm: { kind: 'simulator' }, simDir: '/s/sim', stateDir: '/s' });
    const argv = sim.argv('/s/guests/a/h.qvmconf', ['dump', '/d']);
    expect(argv).toEqual([...SIM, '@/s/guests/a/h.qvmconf', 'dump', '/d']);
    expect(sim.isQvm(argv)).toBe(true);
    expect(sim.env).toEqual({ QVM_SIM_DIR: '/s/sim' });
    expect(sim.resolveCommand(['qvm-sim', 'guest', 'a', 'shutdown'])).toEqual([...SIM, 'guest', 'a', 'shutdown']);
  });

  it('launches a configured qvm binary', () => {
    const qvm = createQvmLauncher({ qvm: QVM, simDir: '/s/sim', stateDir: '/s' });
    expect(qvm.argv('/s/g.qvmconf', [])).toEqual(['/usr/sbin/qvm', '@/s/g.qvmconf']);
    expect(qvm.env).toEqual({});
    expect(qvm.resolveCommand(['qvm-sim', 'x'])).toEqual(['qvm-sim', 'x']);
    expect(qvm.onThisHost).toBeUndefined();
  });
});

describe('a qvm process is one whose executable is qvm, whatever its arguments', () => {
  it('a qvm binary: by argv[0], with any configuration or none', () => {
    for (const argv of [
      ['/usr/sbin/qvm', '@/s/g.qvmconf'],
      ['qvm', '@/etc/other.qvmconf'],
      ['qvm', '@a.conf'],
      ['/usr/sbin/qvm', '@/etc/qvm/base', '@/etc/qvm/disk'],
      ['/usr/sbin/qvm', 'system', 'zephyr', 'ram', '0x80000000,128M', 'cpu', 'load', '/z.elf'],
      ['/opt/renamed/configs/../bin/qvm', '@/opt/renamed/configs/linux.cfg'],
      ['/usr/sbin/qvm', 'dryrun'],
      ['/usr/sbin/qvm'],
    ]) expect(isQvmCommandLine(argv, QVM), argv.join(' ')).toBe(true);
  });

  it('a qvm binary: by the configured path and its base name, also when a wrapper script is run by its interpreter', () => {
    const custom = { kind: 'path', path: '/opt/hv/bin/vmm-8' } as const;
    expect(isQvmCommandLine(['/opt/hv/bin/vmm-8', 'system', 'a'], custom)).toBe(true);
    expect(isQvmCommandLine(['vmm-8', '@a'], custom)).toBe(true);
    expect(isQvmCommandLine(['qvm', '@a'], custom)).toBe(true);
    expect(isQvmCommandLine(['/bin/sh', '/opt/bin/qvm', '@a.conf'], QVM)).toBe(true);
    expect(isQvmCommandLine([process.execPath, '/tmp/target/lib/qvm', 'system', 'x'], QVM)).toBe(true);
  });

  it('a qvm binary: not another program that merely names qvm or a configuration', () => {
    for (const argv of [
      ['/bin/vi', '@/s/g.qvmconf'],
      ['/bin/vi', 'qvm'],
      ['less', '/etc/qvm'],
      ['/bin/sh', '-c', 'qvm @a'],
      ['/usr/sbin/qvm-helper', '@a.qvmconf'],
      [process.execPath, ...SIM_NODE_FLAGS, SIM_MAIN, '@/s/a.qvmconf'],
      [],
    ]) expect(isQvmCommandLine(argv, QVM), argv.join(' ')).toBe(false);
  });

  it('the simulator: its entry (or a qvm-sim link to it) in qvm mode, with any arguments', () => {
    const sim = { kind: 'simulator' } as const;
    for (const args of [['@/s/a.qvmconf'], ['@x.conf'], ['@/a', '@/b'], ['system', 'inl', 'ram', '0x80000000,64M', 'cpu'], ['@/elsewhere/g.cfg', 'dryrun']]) {
      expect(isQvmCommandLine([...SIM, ...args], sim), args.join(' ')).toBe(true);
      expect(isQvmCommandLine([process.execPath, SIM_MAIN, ...args], sim), args.join(' ')).toBe(true);
    }
    expect(isQvmCommandLine([process.execPath, ...SIM_NODE_FLAGS, '/p/node_modules/.bin/qvm-sim', '@a'], sim)).toBe(true);
    // The simulator's own commands are not qvm; neither is a real qvm binary on a simulated host.
    for (const args of [['guest', 'a', 'shutdown'], ['reset', 'a'], ['pidin', 'times'], ['--help'], []]) {
      expect(isQvmCommandLine([...SIM, ...args], sim), args.join(' ')).toBe(false);
    }
    expect(isQvmCommandLine(['/usr/sbin/qvm', '@a'], sim)).toBe(false);
    expect(isQvmCommandLine([process.execPath, '/other/pkg/main.js', '@a'], sim)).toBe(false);
  });
});

describe('a simulated host is its state directory', () => {
  const sim = createQvmLauncher({ qvm: { kind: 'simulator' }, simDir: '/s/sim', stateDir: '/s' });

  it('a simulator process runs on it when its QVM_SIM_DIR is <stateDir>/sim, whatever its arguments', async () => {
    const table = tableWith(new Map([
      [10, { variables: { QVM_SIM_DIR: '/s/sim' } }],
      [11, { variables: { QVM_SIM_DIR: '/s/./sim/' } }],
      [12, { variables: { QVM_SIM_DIR: 'sim' }, cwd: '/s' }],
      [20, { variables: { QVM_SIM_DIR: '/other/sim' } }],
      [21, { variables: {} }],
      [22, { variables: { QVM_SIM_DIR: '' } }],
      [23, { variables: { QVM_SIM_DIR: 'sim' }, cwd: '/elsewhere' }],
    ]));
    const entries = [
      entry(10, [...SIM, 'system', 'inl', 'ram', '64M', 'cpu']),
      entry(11, [...SIM, '@/anywhere/x.conf']),
      entry(12, [...SIM, '@/a', '@/b']),
      // Another simulated host's, although its configuration lies in this state directory.
      entry(20, [...SIM, '@/s/guests/a/h.qvmconf']),
      entry(21, [...SIM, '@/s/stray.qvmconf']),
      entry(22, [...SIM, '@/s/stray.qvmconf']),
      entry(23, [...SIM, '@/s/stray.qvmconf']),
    ];
    expect((await onThisHost(sim, table, entries)).map((e) => e.pid)).toEqual([10, 11, 12]);
  });

  it('where no environment can be read, by a configuration file under the state directory', async () => {
    const entries = [entry(1, [...SIM, '@/s/stray.conf']), entry(2, [...SIM, '@/other/guests/a/h.qvmconf']), entry(3, [...SIM, '@/s2/a']), entry(4, [...SIM, 'system', 'x'])];
    expect((await onThisHost(sim, tableWith(new Map(), false), entries)).map((e) => e.pid)).toEqual([1]);
    // A process whose environment is not readable (ended, another user's), or a relative QVM_SIM_DIR without its working directory.
    const table = tableWith(new Map([[4, { variables: { QVM_SIM_DIR: 'sim' } }]]));
    expect((await onThisHost(sim, table, [...entries, entry(5, [...SIM, '@/s/b'])])).map((e) => e.pid)).toEqual([1, 5]);
  });

  it('a real qvm is always this host\'s', async () => {
    const qvm = createQvmLauncher({ qvm: QVM, simDir: '/s/sim', stateDir: '/s' });
    const entries = [entry(1, ['/usr/sbin/qvm', 'system', 'x']), entry(2, ['qvm', '@/anywhere/g'])];
    expect(await onThisHost(qvm, tableWith(new Map()), entries)).toEqual(entries);
  });

  it('reads /proc/PID/environ as NUL-separated NAME=value entries', () => {
    expect(parseEnviron('A=1\0QVM_SIM_DIR=/s/sim\0B=x=y\0noeq\0A=2\0')).toEqual(new Map([['A', '1'], ['QVM_SIM_DIR', '/s/sim'], ['B', 'x=y']]));
    expect(parseEnviron('')).toEqual(new Map());
  });
});
