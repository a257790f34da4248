// The fence is not universal. After `shutdown --no-host`, `start`, `restart` and a
// plan saved before the fence must start nothing; a `start` queued on the pass lock while the host
// command runs must never launch. The built CLI, as an operator runs it (docs/shutdown.md,
// "One fence, every path").
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrentInstances, createCrashFleet, type CrashFleet } from '../helpers/crash-fleet.js';
import { journalViolations, type JournalLine } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const FENCED_EXIT = 3;
const REFUSAL = /^qvmctl: the shutdown fence is up since \S+ \(.+\): not starting .+; nothing was done\. Lift it with `qvmctl fence --lift` first$/;

let f: CrashFleet | undefined;
afterEach(async () => {
  const journal = await f?.journal();
  await f?.cleanup();
  f = undefined;
  expect(journalViolations(journal ?? [])).toEqual([]);
  expect(concurrentInstances(journal ?? [])).toEqual([]);
});

const boots = (journal: readonly JournalLine[], system?: string): JournalLine[] => journal.filter((l) => l.event === 'boot' && (system === undefined || l.system === system));
const exits = (journal: readonly JournalLine[]): JournalLine[] => journal.filter((l) => l.event === 'exit');
const stderrOf = (output: string): string => output.trim().split('\n').filter((l) => l.startsWith('qvmctl:')).join('\n');

describe('one fence, every path', () => {
  it('after shutdown --no-host: start, restart and a plan saved before the fence start nothing, each with one clear line', async () => {
    f = await createCrashFleet();
    await f.writeGuest('p00');
    await f.writeGuest('p01', { dependsOn: ['p00'] });
    const planFile = join(f.root, 'plan.json');
    // Saved while nothing runs: still current after a shutdown that had nothing to stop.
    expect((await f.cli(['plan', '--out', planFile])).exitCode).toBe(0);
    const down = await f.cli(['shutdown', '--no-host']);
    expect(down.exitCode, down.output).toBe(0);

    const saved = await f.cli(['apply', planFile]);
    expect(saved.exitCode, saved.output).toBe(FENCED_EXIT);
    expect(stderrOf(saved.output)).toMatch(REFUSAL);
    expect(stderrOf(saved.output)).toContain('not starting p00, p01');
    for (const args of [['start', 'p00'], ['restart', 'p00']]) {
      const r = await f.cli(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.output}`).toBe(FENCED_EXIT);
      expect(stderrOf(r.output), args.join(' ')).toMatch(REFUSAL);
      expect(r.output).not.toMatch(/\n\s+at /);
    }
    // A plain apply plans no start under the fence: it shows the holds.
    const apply = await f.cli(['apply']);
    expect(apply.exitCode, apply.output).toBe(0);
    expect(apply.output).toMatch(/fenced/);
    expect(boots(await f.journal())).toEqual([]);

    // The same saved plan goes through once the fence is lifted: it was refused for the fence alone.
    expect((await f.cli(['fence', '--lift'])).exitCode).toBe(0);
    const lifted = await f.cli(['apply', planFile]);
    expect(lifted.exitCode, lifted.output).toBe(0);
    // `apply` returns once p01 is started (no readiness: ready when started, docs/manifests.md);
    // the simulator journals `boot` when its own start-up reaches it, which on a loaded machine
    // may come after: wait for both boots.
    const booted = await waitFor(async () => {
      const systems = boots(await f?.journal() ?? []).map((l) => l.system).sort();
      return systems.length >= 2 ? systems : undefined;
    }, { timeoutMs: 20_000, message: 'p00 and p01 booted' });
    expect(booted).toEqual(['p00', 'p01']);

    // Fenced with both running: a restart is refused whole (nothing stopped); a stop is allowed.
    await f.harness.runtime.state.raiseFence({ since: Date.now(), reason: 'test' });
    const restart = await f.cli(['restart', 'p00']);
    expect(restart.exitCode, restart.output).toBe(FENCED_EXIT);
    expect(stderrOf(restart.output)).toContain('not starting p00, p01');
    expect(exits(await f.journal())).toEqual([]);
    const stop = await f.cli(['stop', 'p01']);
    expect(stop.exitCode, stop.output).toBe(0);
    expect(exits(await f.journal()).map((l) => l.system)).toEqual(['p01']);
    expect(boots(await f.journal())).toHaveLength(2);
  }, 180_000); // a dozen CLI processes: on a loaded machine each may take seconds to start

  it('a start queued on the pass lock while the shutdown runs its host command never launches', async () => {
    f = await createCrashFleet();
    const log = join(f.root, 'slow-host-command.log');
    // A host command that takes a few seconds, as a real `shutdown` does before the power goes.
    await writeFile(join(f.root, 'host-command'), `#!/bin/sh\necho "begin $(date +%s%3N)" >> ${log}\nsleep 4\necho "end $(date +%s%3N)" >> ${log}\n`, { mode: 0o755 });
    const when = async (word: string): Promise<number | undefined> => {
      const line = (await readFile(log, 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith(`${word} `));
      return line === undefined ? undefined : Number(line.slice(word.length + 1));
    };
    await f.writeGuest('p00');
    expect((await f.cli(['apply'])).exitCode).toBe(0);

    const shutdown = f.cli(['shutdown']);
    const begin = await waitFor(() => when('begin'), { timeoutMs: 30_000, intervalMs: 10, message: 'host command runs' });
    const startAsked = Date.now();
    const start = await f.cli(['start', 'p00']);
    const startEnded = Date.now();
    const down = await shutdown;
    const end = await when('end');

    expect(down.exitCode, down.output).toBe(0);
    expect(end).toBeDefined();
    // Asked while the host command ran, answered only after the sequence let go of the pass lock.
    expect(startAsked).toBeLessThan(end ?? 0);
    expect(startEnded).toBeGreaterThanOrEqual(end ?? Infinity);
    expect(start.exitCode, start.output).toBe(FENCED_EXIT);
    expect(stderrOf(start.output)).toMatch(REFUSAL);
    const journal = await f.journal();
    expect(boots(journal, 'p00')).toHaveLength(1);
    expect(journal.filter((l) => l.time >= begin && l.event === 'boot')).toEqual([]);
  }, 120_000);
});
