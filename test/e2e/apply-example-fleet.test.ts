// The example fleet on the simulator: apply starts every guest after its dependencies are ready;
// a manifest edit restarts exactly that guest and its dependents, in order.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import type { GuestSpec } from '../../src/model/guest-spec.js';
import { copyExampleFleet, runQvmctl } from '../helpers/cli.js';
import { createHarness, journalViolations, type Harness, type JournalLine } from '../helpers/runtime-harness.js';
import { removeDir } from '../helpers/temp-dir.js';

let fleet: Awaited<ReturnType<typeof copyExampleFleet>>;
let harness: Harness;
let guests: readonly GuestSpec[];
const args = (...rest: string[]) => [...rest, '-f', fleet.manifests, '--state-dir', fleet.stateDir];

beforeAll(async () => {
  fleet = await copyExampleFleet();
  harness = await createHarness({ stateDir: fleet.stateDir });
  const loaded = await loadManifests({ dir: fleet.manifests });
  guests = loaded.desired?.guests ?? [];
  expect(guests.length).toBeGreaterThanOrEqual(4);
});

afterAll(async () => {
  await harness.cleanup();
  await removeDir(fleet.root);
});

const firstTime = (lines: readonly JournalLine[], system: string, event: string, after = 0) =>
  lines.find((l) => l.system === system && l.event === event && l.time >= after)?.time;

describe('apply on the example fleet', () => {
  it('starts every guest only after its dependencies are running', async () => {
    const planned = await runQvmctl(args('plan', '--detailed-exitcode'));
    expect(planned.exitCode).toBe(2);
    expect(planned.stdout).toMatch(/Plan: 5 to start/);

    const applied = await runQvmctl(args('apply'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 5 started, 0 restarted, 0 stopped/);
    // Progress on stderr, the plan and the result on stdout (docs/cli.md, "Output streams").
    expect(applied.stderr).toMatch(/^ok ivi: started: /m);
    expect(applied.stdout).not.toMatch(/: started: /);

    const journal = await harness.journal();
    for (const guest of guests) {
      const boot = firstTime(journal, guest.system, 'boot');
      expect(boot, `${guest.name} booted`).toBeDefined();
      for (const dep of guest.dependsOn) {
        const depSystem = guests.find((g) => g.name === dep)?.system ?? dep;
        const depRunning = firstTime(journal, depSystem, 'running');
        expect(depRunning, `${dep} running`).toBeDefined();
        expect(depRunning ?? Infinity, `${dep} running before ${guest.name} boots`).toBeLessThanOrEqual(boot ?? 0);
      }
    }
    const again = await runQvmctl(args('plan', '--detailed-exitcode'));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    // An apply with nothing to do says so once.
    const idle = await runQvmctl(args('apply'));
    expect(idle.exitCode).toBe(0);
    expect(idle.stdout.trim()).toBe('No changes. The host matches the manifests.');
  });

  it('restarts exactly the edited guest and its dependents, dependents stopped first and started last', async () => {
    const edited = join(fleet.manifests, 'ivi.yaml');
    const text = await readFile(edited, 'utf8');
    // ivi waits for a maintenance window in the example; this edit also asks for an immediate restart.
    await writeFile(edited, text.replace('ram 0x80000000,2048M', 'ram 0x80000000,3072M').replace('update: window', 'update: restart'));
    const plan = await runQvmctl(args('plan', '-o', 'json'));
    const changes = (JSON.parse(plan.stdout) as { changes: { guest: string; action: string }[] }).changes;
    const restarted = changes.map((c) => `${c.action} ${c.guest}`).sort();
    const dependents = guests.filter((g) => g.dependsOn.includes('ivi')).map((g) => `restart ${g.name}`);
    expect(restarted).toEqual(['restart ivi', ...dependents].sort());

    const since = Date.now();
    const applied = await runQvmctl(args('apply'));
    expect(applied.exitCode).toBe(0);
    const journal = (await harness.journal()).filter((l) => l.time >= since);
    const systemsWith = (event: string) => [...new Set(journal.filter((l) => l.event === event).map((l) => l.system))].sort();
    const touched = ['ivi', ...guests.filter((g) => g.dependsOn.includes('ivi')).map((g) => g.system)].sort();
    expect(systemsWith('exit'), applied.stdout).toEqual(touched);
    expect(systemsWith('boot')).toEqual(touched);
    for (const dependent of touched.filter((s) => s !== 'ivi')) {
      expect(firstTime(journal, dependent, 'exit') ?? Infinity).toBeLessThanOrEqual(firstTime(journal, 'ivi', 'shutdown') ?? 0);
      expect(firstTime(journal, 'ivi', 'running') ?? Infinity).toBeLessThanOrEqual(firstTime(journal, dependent, 'boot') ?? 0);
    }
    expect(journalViolations(await harness.journal())).toEqual([]);
  });

  it('refuses a saved plan once the running processes changed', async () => {
    const planFile = join(fleet.root, 'saved.plan');
    const stop = join(fleet.manifests, 'telematics.yaml');
    await writeFile(stop, (await readFile(stop, 'utf8')).replace(/^spec:\n/m, 'spec:\n  state: stopped\n'));
    const saved = await runQvmctl(args('plan', '--out', planFile));
    expect(saved.exitCode).toBe(0);
    expect(saved.stdout).toMatch(/- stop telematics/);
    expect((await runQvmctl(args('restart', 'rear-seat'))).exitCode).toBe(0);
    const stale = await runQvmctl(args('apply', planFile));
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toMatch(/saved plan is stale: the running qvm processes changed/);
    const fresh = await runQvmctl(args('plan', '--out', planFile));
    expect(fresh.exitCode).toBe(0);
    const applied = await runQvmctl(args('apply', planFile));
    expect(applied.exitCode).toBe(0);
    // Into a pipe: ASCII marks, no glyphs (README, "Colour and glyphs").
    expect(applied.stderr).toMatch(/^ok telematics: stopped/m);
    expect(`${applied.stdout}${applied.stderr}`).not.toMatch(/[✓✗…]/);
  });
});
