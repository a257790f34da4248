// Every qvm is seen (docs/runtime.md, "Which processes are qvm"): a qvm started by
// hand the ways an integrator starts one — `qvm @x.conf`, stacked `qvm @a @b`, inline options only, a
// configuration in a directory of its own — is reported as unmanaged, keeps `qvmctl shutdown` from
// running the host command, and makes `qvmctl shutdown --dry-run` exit as the real run would.
// The built CLI against the simulator, with a test host command that logs when it ran.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createHarness, journalViolations, runQvmByHand, type Harness } from '../helpers/runtime-harness.js';
import { hostCommand, readHostLog } from '../helpers/shutdown-fleet.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { CLI_MAIN as CLI } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const qvmctl = (args: readonly string[]) => execa('node', [CLI, ...args], { reject: false, cwd: ROOT, env: { QVMCTL_DEBUG: '' } });

let h: Harness;
let dir: string;
let elsewhere: string;
beforeEach(async () => {
  h = await createHarness();
  dir = await makeTempDir('every-qvm');
  elsewhere = await makeTempDir('every-qvm-configs');
});
afterEach(async () => {
  const journal = await h.journal();
  await h.cleanup();
  await removeDir(dir);
  await removeDir(elsewhere);
  expect(journalViolations(journal)).toEqual([]);
});

async function writeFleet(): Promise<void> {
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
metadata: { name: test }
spec:
  qvm: { simulator: true }
  stateDir: ${h.stateDir}
  shutdown:
    command: ${JSON.stringify(hostCommand(h.stateDir, 'poweroff'))}
    deadline: 30s
    unmanaged: refuse
  commands: { allow: [qvm-sim] }
`);
  await writeFile(join(dir, 'svc.yaml'), `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: svc }
spec:
  qvm:
    ram: ["0x80000000,64M"]
    cpus: 1
    simulator: { boot-ms: 50, shutdown-ms: 50 }
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    guestTimeout: 2s
    powerButtonTimeout: 2s
`);
  const loaded = await loadManifests({ dir });
  if (loaded.desired === undefined) throw new Error(`test manifests invalid: ${JSON.stringify(loaded.diagnostics)}`);
  await Promise.all(loaded.desired.guests.map((spec) => h.startRunning(spec)));
}

const KNOBS = '# qvm-sim: boot-ms=20 shutdown-ms=50\n';

/** How an integrator starts a qvm by hand: the qvm arguments, after writing the files they name. */
const WAYS: readonly { readonly how: string; readonly system: string; readonly args: () => Promise<string[]> }[] = [
  {
    how: 'qvm @x.conf (no .qvmconf suffix)',
    system: 'byhand',
    args: async () => {
      await writeFile(join(h.stateDir, 'x.conf'), `system byhand\n${KNOBS}ram 0x80000000,64M\ncpu\n`);
      return [`@${join(h.stateDir, 'x.conf')}`];
    },
  },
  {
    how: 'qvm @a @b (stacked configurations)',
    system: 'stacked',
    args: async () => {
      await writeFile(join(elsewhere, 'a'), `system stacked\n${KNOBS}ram 0x80000000,64M\n`);
      await writeFile(join(elsewhere, 'b'), 'cpu\ncpu\n');
      return [`@${join(elsewhere, 'a')}`, `@${join(elsewhere, 'b')}`];
    },
  },
  {
    how: 'qvm with inline options only',
    system: 'inline',
    args: () => Promise.resolve(['system', 'inline', 'ram', '0x80000000,64M', 'cpu']),
  },
  {
    how: 'qvm @<a renamed configuration directory>/g.qvmconf',
    system: 'renamed',
    args: async () => {
      await mkdir(join(elsewhere, 'vm-configs.renamed'));
      const conf = join(elsewhere, 'vm-configs.renamed', 'g.qvmconf');
      await writeFile(conf, `system renamed\n${KNOBS}ram 0x80000000,64M\ncpu\n`);
      return [`@${conf}`];
    },
  },
];

describe('a qvm started by hand, whatever its arguments', () => {
  for (const way of WAYS) {
    it(`${way.how}: is unmanaged, blocks the shutdown and the host command; the dry run says so by its exit code`, async () => {
      await writeFleet();
      const byHand = await runQvmByHand(h.stateDir, await way.args());

      const observed = await h.runtime.observe();
      expect(observed.guests.map((g) => g.name)).toEqual(['svc']);
      expect(observed.unmanaged).toEqual([expect.objectContaining({ pid: byHand.pid, system: way.system })]);

      // Dry runs: the code the real run would exit with.
      const dryRefuse = await qvmctl(['shutdown', '-f', dir, '--dry-run']);
      expect(dryRefuse.exitCode, dryRefuse.stderr).toBe(3);
      expect(dryRefuse.stdout).toContain(`refused: unmanaged qvm pid ${byHand.pid} (shutdown.unmanaged: refuse)`);
      expect(dryRefuse.stderr).toContain(`qvmctl: the shutdown would be refused: unmanaged qvm process ${byHand.pid} (shutdown.unmanaged: refuse). Stop it first, or run \`qvmctl shutdown --unmanaged stop\``);
      const dryLeave = await qvmctl(['shutdown', '-f', dir, '--dry-run', '--unmanaged', 'leave', '-o', 'json']);
      expect(dryLeave.exitCode, dryLeave.stderr).toBe(2);
      expect(JSON.parse(dryLeave.stdout)).toMatchObject({ left: [expect.objectContaining({ pid: byHand.pid })], refused: [] });
      expect(dryLeave.stderr).toContain(`the shutdown would be blocked: unmanaged qvm process ${byHand.pid} would be left running`);

      // The real runs: refused (nothing stopped), then left running — never the host command.
      const refused = await qvmctl(['shutdown', '-f', dir]);
      expect(refused.exitCode, refused.stdout).toBe(3);
      expect(refused.stdout).toContain(`unmanaged qvm process ${byHand.pid} (shutdown.unmanaged: refuse)`);
      expect(await h.runtime.state.readFence()).toBeUndefined();
      const left = await qvmctl(['shutdown', '-f', dir, '--unmanaged', 'leave', '-o', 'json']);
      expect(left.exitCode, left.stdout).toBe(2);
      const result = JSON.parse(left.stdout) as { status: string; alive: { pid: number }[]; host: { ran: boolean; reason: string }; guests: { guest: string; end: string }[] };
      expect(result.status).toBe('blocked');
      expect(result.alive).toEqual([{ guest: `pid:${byHand.pid}`, pid: byHand.pid }]);
      expect(result.host).toMatchObject({ ran: false, reason: `qvm still alive: pid:${byHand.pid}` });
      expect(result.guests).toContainEqual(expect.objectContaining({ guest: 'svc', end: 'stopped' }));
      expect(await readHostLog(h.stateDir)).toEqual([]);
      expect((await h.runtime.observe()).unmanaged.map((p) => p.pid)).toEqual([byHand.pid]);
    });
  }
});
