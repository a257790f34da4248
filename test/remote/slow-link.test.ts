// A slow link (docs/remote.md, "Faults"): every packet to and from the QNX-like target is held
// 100 ms each way by a ProxyCommand, a 200 ms round trip, the kind of link a vehicle's cellular
// gateway gives. The example fleet is applied, shown, planned with no change and shut down, with
// one qvm per guest throughout: nothing times out and nothing is started twice.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';

const DELAY_MS = 100;

// `node slow-proxy.mjs HOST PORT DELAY_MS` relays its stdin to HOST:PORT and back, holding every
// chunk DELAY_MS in each direction, in order. Written into the target's directory by the test.
const SLOW_PROXY = `import { connect } from 'node:net';
const [host = '127.0.0.1', port = '22', delay = '100'] = process.argv.slice(2);
const ms = Number(delay);
const later = (fn) => setTimeout(fn, ms);
const socket = connect(Number(port), host);
process.stdin.on('data', (chunk) => { later(() => socket.write(chunk)); });
process.stdin.on('end', () => { later(() => socket.end()); });
socket.on('data', (chunk) => { later(() => process.stdout.write(chunk)); });
socket.on('end', () => { later(() => { process.stdout.end(); process.exit(0); }); });
socket.on('error', (error) => {
  process.stderr.write(\`slow-proxy: \${error.message}\n\`);
  process.exit(1);
});
`;

let target: SshTarget;
let fleet: RemoteFleet | undefined;
beforeAll(async () => { target = await startSshTarget({ os: 'qnx' }); }, 60_000);
afterAll(async () => {
  await fleet?.cleanup();
  await target.stop();
});

describe('over a slow link', { timeout: 240_000 }, () => {
  it('applies, shows, plans no change and shuts the host down, one qvm per guest', async () => {
    const proxy = join(target.dir, 'slow-proxy.mjs');
    await writeFile(proxy, SLOW_PROXY);
    const config = join(target.dir, 'ssh_config.slow');
    const plain = await readFile(target.configFile, 'utf8');
    await writeFile(config, `${plain.trimEnd()}\n  ProxyCommand ${process.execPath} ${proxy} %h %p ${DELAY_MS}\n`);
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
