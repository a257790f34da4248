// A simulated host is its state directory: a simulator process runs on it when its QVM_SIM_DIR is
// the host's `<stateDir>/sim`, whatever its arguments and wherever its configuration lies
// (docs/runtime.md, "Which processes are qvm"). Two simulated hosts on one machine, each with a qvm
// started by hand from a configuration in the other's directory: each sees only its own.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, guestSpec, journalViolations, runQvmByHand, type Harness } from '../helpers/runtime-harness.js';

let one: Harness;
let two: Harness;
beforeEach(async () => {
  one = await createHarness();
  two = await createHarness();
});
afterEach(async () => {
  const journals = [...(await one.journal()), ...(await two.journal())];
  await one.cleanup();
  await two.cleanup();
  expect(journalViolations(journals)).toEqual([]);
});

describe('simulated hosts on one machine', () => {
  it('each sees its own qvm, started any way, and none of the other\'s', async () => {
    const managed = await one.startRunning(guestSpec('svc'));
    // Configurations in the other host's state directory, without the .qvmconf suffix.
    await writeFile(join(two.stateDir, 'of-one.conf'), 'system a1\n# qvm-sim: boot-ms=20 shutdown-ms=20\nram 0x80000000,64M\ncpu\n');
    await writeFile(join(one.stateDir, 'of-two'), 'system b1\n# qvm-sim: boot-ms=20 shutdown-ms=20\nram 0x80000000,64M\ncpu\n');
    const a1 = await runQvmByHand(one.stateDir, [`@${join(two.stateDir, 'of-one.conf')}`]);
    const a2 = await runQvmByHand(one.stateDir, ['system', 'a2', 'ram', '0x80000000,64M', 'cpu']);
    const b1 = await runQvmByHand(two.stateDir, [`@${join(one.stateDir, 'of-two')}`]);

    const seenByOne = await one.runtime.observe();
    expect(seenByOne.guests.map((g) => g.pid)).toEqual([managed.pid]);
    expect(seenByOne.unmanaged.map((p) => `${p.pid} ${p.system ?? '?'}`).sort()).toEqual([`${a1.pid} a1`, `${a2.pid} a2`].sort());
    const seenByTwo = await two.runtime.observe();
    expect(seenByTwo.guests).toEqual([]);
    expect(seenByTwo.unmanaged.map((p) => `${p.pid} ${p.system ?? '?'}`)).toEqual([`${b1.pid} b1`]);
  });
});
