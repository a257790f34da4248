// How qvmctl decides a guest's power button (docs/shutdown.md, "The power button per guest"): the
// pure rules, and what `validate`, `plan` and the shutdown dry run make of them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { loadManifests } from '../../src/manifest/load.js';
import { archOfVdevs, derivePowerButton } from '../../src/manifest/power-button.js';
import { createPlan } from '../../src/planner/create-plan.js';
import { createShutdownPlan, fallbackShutdown } from '../../src/planner/shutdown-plan.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { renderShutdownPlanText } from '../../src/render/shutdown-plan-text.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('deriving the power button', () => {
  const derive = (facts: Partial<Parameters<typeof derivePowerButton>[0]>) => derivePowerButton({ declared: undefined, os: undefined, hostArch: undefined, configArch: undefined, ...facts }).powerButton;

  it.each([
    [{ configArch: 'aarch64' as const, os: 'linux' as const }, 'abrupt'],
    [{ configArch: 'aarch64' as const, os: 'qnx' as const }, 'abrupt'],
    [{ hostArch: 'aarch64' as const }, 'abrupt'],
    [{ configArch: 'x86_64' as const, os: 'qnx' as const }, 'ignored'],
    [{ os: 'qnx' as const }, 'ignored'],
    [{ configArch: 'x86_64' as const, os: 'linux' as const }, 'graceful'],
    [{ hostArch: 'x86_64' as const, os: 'android' as const }, 'graceful'],
    [{}, 'graceful'],
  ])('%o → %s', (facts, expected) => {
    expect(derive(facts)).toBe(expected);
  });

  it('takes the manifest at its word', () => {
    expect(derive({ declared: 'graceful', hostArch: 'aarch64', os: 'qnx' })).toBe('graceful');
    expect(derive({ declared: 'abrupt', hostArch: 'x86_64', os: 'linux' })).toBe('abrupt');
  });

  it('prefers the Host manifest over the vdevs', () => {
    expect(derive({ hostArch: 'x86_64', configArch: 'aarch64', os: 'linux' })).toBe('graceful');
  });

  it('reads the architecture from vdevs that exist on one only', () => {
    expect(archOfVdevs(['gic', 'pl011', 'virtio-blk'])).toBe('aarch64');
    expect(archOfVdevs(['ioapic', 'hpet', 'virtio-net'])).toBe('x86_64');
    expect(archOfVdevs(['virtio-blk', 'shmem'])).toBeUndefined();
    expect(archOfVdevs(['gic', 'ioapic'])).toBeUndefined();
  });

  it('gives unmanaged and removed guests no power button on an aarch64 host', () => {
    expect(fallbackShutdown({ arch: 'aarch64' }).powerButton).toBe('abrupt');
    expect(fallbackShutdown({}).powerButton).toBe('graceful');
  });
});

describe('the power button in manifests, plans and dry runs', () => {
  let root: string;
  let manifests: string;
  beforeEach(async () => {
    root = await makeTempDir('power-button');
    manifests = join(root, 'manifests');
    await mkdir(manifests, { recursive: true });
    await writeFile(join(manifests, 'host.yaml'), host(''));
  });
  const host = (extra: string): string => `apiVersion: qvmctl/v1\nkind: Host\nmetadata:\n  name: h\nspec:\n  commands:\n    allow: [qvm-sim, x]\n${extra}`;
  afterEach(() => removeDir(root));

  const guest = (name: string, spec: string, vdevs = '      vdev gic\n      vdev pl011\n'): string => `apiVersion: qvmctl/v1
kind: Guest
metadata:
  name: ${name}
spec:
  qvm:
    config: |
      system ${name}
      ram 0x80000000,128M
      cpu
${vdevs}${spec}`;
  const load = () => loadManifests({ dir: manifests });
  const lines = async (): Promise<string[]> => (await load()).diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.slice(root.length + 1) }));

  it('warns, at spec.shutdown, about an ARM guest without a guest shutdown command', async () => {
    await writeFile(join(manifests, 'arm.yaml'), guest('arm', '  shutdown:\n    powerButtonTimeout: 5s\n'));
    expect(await lines()).toEqual([
      'manifests/arm.yaml:13:3: warning: guest `arm` has no guest shutdown command and its power button is abrupt (aarch64 guest (by its vdevs): ARM has no standard power-button notification): nothing stops it: a stop or host shutdown leaves it running (stuck); add shutdown.guestCommand, or set shutdown.powerButton: graceful if a vdev of its own handles the button (spec.shutdown.guestCommand)',
    ]);
    expect((await load()).desired?.guests[0]?.shutdown).toMatchObject({ powerButton: 'abrupt' });
  });

  it('warns about a QNX guest without one, and says the power cut is its only stop where allowed', async () => {
    await writeFile(join(manifests, 'q.yaml'), guest('q', '  os: qnx\n  shutdown:\n    allowPowerCut: true\n', ''));
    const [line] = await lines();
    expect(line).toContain('warning: guest `q` has no guest shutdown command and its power button is ignored (QNX guest: QNX does not handle the power-button event): the power cut (allowPowerCut) is its only stop');
  });

  it('says nothing about a guest with a guest command, or one declared graceful', async () => {
    await writeFile(join(manifests, 'a.yaml'), guest('a', '  shutdown:\n    guestCommand: [qvm-sim, guest, a, shutdown]\n'));
    await writeFile(join(manifests, 'b.yaml'), guest('b', '  shutdown:\n    powerButton: graceful\n'));
    await writeFile(join(manifests, 'c.yaml'), guest('c', '  os: linux\n', '      vdev ioapic\n'));
    const result = await load();
    expect(result.diagnostics).toEqual([]);
    expect(result.desired?.guests.map((g) => [g.name, g.shutdown.powerButton])).toEqual([['a', 'abrupt'], ['b', 'graceful'], ['c', 'graceful']]);
  });

  it('shows the ladder of a stop whose power button is not graceful, in the plan and the dry run, with its budget', async () => {
    await writeFile(join(manifests, 'host.yaml'), host('  arch: aarch64\n'));
    await writeFile(join(manifests, 'arm.yaml'), guest('arm', '  state: stopped\n  shutdown:\n    guestCommand: [x]\n    guestTimeout: 4s\n    powerButtonTimeout: 30s\n', ''));
    await writeFile(join(manifests, 'cut.yaml'), guest('cut', '  shutdown:\n    guestCommand: [x]\n    guestTimeout: 4s\n    allowPowerCut: true\n    powerCutTimeout: 2s\n', ''));
    await writeFile(join(manifests, 'x86.yaml'), guest('x86', '  shutdown:\n    powerButton: graceful\n    powerButtonTimeout: 3s\n', ''));
    const desired = (await load()).desired;
    if (desired === undefined) throw new Error('manifests did not load');
    const running = ['arm', 'cut', 'x86'].map((name, i) => ({ name, pid: 100 + i, processStart: 's', configHash: desired.guests.find((g) => g.name === name)?.configHash ?? '', startedAt: 0, stopping: false, ready: true }));
    const plan = createPlan({ desired, running, histories: new Map(), orphans: new Map(), policy: { now: 0, explicit: true, fenced: false, manifestsTrusted: true } });
    expect(plan.changes.find((c) => c.guest === 'arm')?.stopLadder).toEqual({ steps: 'guest command', powerButton: 'abrupt', powerButtonBasis: 'aarch64 host: ARM has no standard power-button notification' });
    expect(renderPlanText(plan, { color: false })).toContain('- stop arm (desired-stopped)\n    power button abrupt (aarch64 host: ARM has no standard power-button notification), not pressed; stops by guest command or is left running (stuck)\n');

    const shutdown = createShutdownPlan({ desired, running, unmanaged: [], fallbackShutdown: fallbackShutdown(desired.host) });
    const text = renderShutdownPlanText(shutdown);
    expect(text).toContain('arm (4 s)');
    expect(text).toContain('cut (6 s)');
    expect(text).toContain('x86 (3 s)');
    expect(text).toContain('cut: power button abrupt (aarch64 host: ARM has no standard power-button notification), not pressed; stops by guest command → power cut\n');
    expect(text).not.toContain('x86: power button');
  });
});
