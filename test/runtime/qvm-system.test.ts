// The system name of a qvm command line: options given there, else the first configuration file's `system`.
import { describe, expect, it } from 'vitest';
import { configFilesOf, systemOfConfig, systemOfQvm } from '../../src/runtime/qvm-system.js';

describe('the system name of a qvm command line', () => {
  const configs = new Map([
    ['/etc/qvm/linux.qvmconf', '# the cockpit\nsystem linux\nram 1G\n'],
    ['/etc/qvm/disk.qvmconf', 'vdev virtio-blk\n'],
    ['/etc/qvm/late.qvmconf', 'ram 1G\nsystem late\n'],
  ]);

  it('reads `system NAME` given as options on the command line', () => {
    expect(systemOfQvm(['qvm', 'system', 'zephyr', 'ram', '64M'], new Map())).toBe('zephyr');
  });

  it('reads the first configuration file that sets it, in command-line order', () => {
    expect(systemOfQvm(['qvm', '@/etc/qvm/disk.qvmconf', '@/etc/qvm/linux.qvmconf'], configs)).toBe('linux');
    expect(configFilesOf(['qvm', '@/a', 'ram', '@/b', '@'])).toEqual(['/a', '/b']);
  });

  it('reads stacked configurations, files of any name, and inline options after node and its flags', () => {
    const texts = new Map([['/cfg/base', 'system stacked\nram 1G\n'], ['/cfg/disk', 'vdev virtio-blk\n'], ['/cfg/x.conf', 'system x\n']]);
    const node = ['/usr/bin/node', '--jitless', '/pkg/dist/sim/main.js'];
    expect(systemOfQvm([...node, '@/cfg/disk', '@/cfg/base'], texts)).toBe('stacked');
    expect(systemOfQvm(['/bin/sh', '/opt/bin/qvm', '@/cfg/x.conf'], texts)).toBe('x');
    expect(systemOfQvm([...node, 'system', 'inline', 'ram', '0x80000000,64M', 'cpu'], new Map())).toBe('inline');
    expect(configFilesOf([...node, '@/cfg/disk', '@/cfg/base', 'cpu'])).toEqual(['/cfg/disk', '/cfg/base']);
  });

  it('takes `system` only as a file\'s first entry, as qvm requires', () => {
    expect(systemOfConfig('ram 1G\nsystem late\n', 'f')).toBeUndefined();
    expect(systemOfQvm(['qvm', '@/etc/qvm/late.qvmconf'], configs)).toBeUndefined();
  });

  it('says nothing when the files cannot be read or the word has no name after it', () => {
    expect(systemOfQvm(['qvm', '@/gone.qvmconf'], configs)).toBeUndefined();
    expect(systemOfQvm(['qvm', 'system'], configs)).toBeUndefined();
  });
});
