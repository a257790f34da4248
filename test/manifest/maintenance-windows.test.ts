// Host spec.maintenanceWindows: each window's time zone resolved once, in the manifest layer
// (the planner never reads the machine's zone), and the messages of bad zones.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let dir = '';
beforeEach(async () => { dir = await makeTempDir('maintenance-windows'); });
afterEach(async () => { await removeDir(dir); });

async function hostWith(window: string): Promise<Awaited<ReturnType<typeof loadManifests>>> {
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { simulator: true }\n  maintenanceWindows:\n    - ${window}\n`);
  return loadManifests({ dir });
}

describe('Host spec.maintenanceWindows', () => {
  it('takes timeZone as written, utc: true as UTC, and neither as no zone (the zone of the machine that plans)', async () => {
    const zones = [];
    for (const window of ['{ days: [sun], start: "03:00", duration: 1h, timeZone: Europe/Berlin }', '{ days: [sun], start: "03:00", duration: 1h, utc: true }', '{ days: [sun], start: "03:00", duration: 1h }']) {
      const loaded = await hostWith(window);
      expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
      zones.push(loaded.desired?.host.maintenanceWindows[0]?.timeZone);
    }
    expect(zones).toEqual(['Europe/Berlin', 'UTC', undefined]);
  });

  it('refuses an unknown time zone, naming the file, line and field', async () => {
    const loaded = await hostWith('{ days: [sun], start: "03:00", duration: 1h, timeZone: Mars/Olympus }');
    expect(loaded.status).toBe('invalid');
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(/host\.yaml:6:\d+: error: unknown time zone `Mars\/Olympus`: expected an IANA name such as Europe\/Berlin or UTC \(spec\.maintenanceWindows\[0\]\.timeZone\)/)]);
  });

  it('takes utc: false beside a timeZone', async () => {
    const loaded = await hostWith('{ days: [sun], start: "03:00", duration: 1h, utc: false, timeZone: Asia/Tokyo }');
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(loaded.desired?.host.maintenanceWindows[0]?.timeZone).toBe('Asia/Tokyo');
  });

  it('warns when a window of an ssh host has no zone: this machine\'s is not the host\'s', async () => {
    await writeFile(join(dir, 'host.yaml'), 'apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { path: /usr/sbin/qvm }\n  stateDir: /var/qvmctl\n  connection: { ssh: { host: qnx1 } }\n  maintenanceWindows:\n    - { days: [sun], start: "03:00", duration: 1h }\n    - { days: [sun], start: "03:00", duration: 1h, utc: true }\n');
    const loaded = await loadManifests({ dir });
    expect(loaded.status).toBe('ok');
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(/host\.yaml:8:\d+: warning: no timeZone: the window follows the time zone of the machine qvmctl runs on \(.+\), not the ssh host's; set timeZone/)]);
  });

  it('refuses utc and timeZone together in one message', async () => {
    const loaded = await hostWith('{ days: [sun], start: "03:00", duration: 1h, utc: true, timeZone: UTC }');
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(/host\.yaml:6:\d+: error: a maintenance window takes `utc: true` or `timeZone`, not both/)]);
  });
});
