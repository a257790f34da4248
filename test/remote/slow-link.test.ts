// A slow link (docs/remote.md, "Faults"): every packet to and from the QNX-like target is held
// 100 ms each way by a ProxyCommand, a 200 ms round trip, the kind of link a vehicle's cellular
// gateway gives. The example fleet is applied, shown, planned with no change and shut down, with
// one qvm per guest throughout: nothing times out and nothing is started twice.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

const PROXY = fileURLToPath(new URL('../helpers/slow-proxy.mjs', import.meta.url));
const DELAY_MS = 100;

let target: SshTarget;
let fleet: RemoteFleet | undefined;
beforeAll(async () => { target = await startSshTarget({ os: 'qnx' }); }, 60_000);
afterAll(async () => {
  await fleet?.cleanup();
  await target.stop();
});

describe('over a slow link', { timeout: 240_000 }, () => {
  it('applies, shows, plans no change and shuts the host down, one qvm per guest', async () => {
    const config = join(target.dir, 'ssh_config.slow');
    const plain = await readFile(target.configFile, 'utf8');
    await writeFile(config, `${plain.trimEnd()}\n  ProxyCommand ${process.execPath} ${PROXY} %h %p ${DELAY_MS}\n`);
    fleet = await remoteFleet(target, { configFile: config });

    const apply = await fleet.cli(['apply']);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const pids = await fleet.qvmPids();
    expect([...pids.keys()].sort()).toEqual(['cluster', 'ivi', 'rear-seat', 'svc', 'telematics']);
    for (const [guest, list] of pids) expect(list, guest).toHaveLength(1);

    const status = await fleet.cli(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    for (const guest of pids.keys()) expect(status.stdout).toMatch(new RegExp(`${guest}\\s+running`));
    const plan = await fleet.cli(['plan', '--detailed-exitcode']);
    expect(plan.exitCode, `${plan.stdout}${plan.stderr}`).toBe(0);
    expect(await fleet.qvmPids()).toEqual(pids);

    const down = await fleet.cli(['shutdown', '--no-host']);
    expect(down.exitCode, `${down.stdout}${down.stderr}`).toBe(0);
    expect(await fleet.qvmPids()).toEqual(new Map());
  });
});
