// A state directory on a full or read-only filesystem (a real tmpfs in a private mount namespace):
// a one-line report naming the directory, the file and what to do; no guest started half-way (no
// qvm without an identity record), no guest stopped, nothing half-written.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrentInstances, createCrashFleet, type CrashFleet } from '../helpers/crash-fleet.js';
import { journalViolations, type JournalLine } from '../helpers/runtime-harness.js';
import { runInSmallFs, SMALL_FS_UNAVAILABLE, type SmallFsStep } from '../helpers/small-fs.js';

let fleet: CrashFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

const STACK = /\n\s+at /;

function step(steps: ReadonlyMap<string, SmallFsStep>, name: string, all: string): SmallFsStep {
  const s = steps.get(name);
  if (s === undefined) throw new Error(`no step ${name} in:\n${all}`);
  return s;
}

/** Files that show a write cut short: temp files, empty JSON or lock files, launch records of runs never launched. */
function halfWritten(listing: string): string[] {
  const paths = listing.split('\n').filter((l) => l !== '').map((l) => l.split(' '));
  const names = new Set(paths.map(([, path = '']) => path));
  return paths.filter(([size, path = '']) =>
    path.includes('.tmp') || (size === '0' && /\.(json|lock)$/.test(path)) ||
    (path.endsWith('.launch.json') && !names.has(path.replace(/\.launch\.json$/, '.pid')))).map(([, path = '']) => path);
}

function onlyBootOf(journal: readonly JournalLine[], system: string): number {
  const lines = journal.filter((l) => l.system === system);
  expect(lines.filter((l) => l.event === 'boot')).toHaveLength(1);
  expect(lines.filter((l) => l.event === 'exit' || l.event === 'signal')).toEqual([]);
  return lines[0]?.pid ?? 0;
}

async function fleetWithSpareGuest(): Promise<CrashFleet> {
  const f = (fleet = await createCrashFleet());
  await f.writeGuest('base');
  await f.writeGuest('app');
  await rename(join(f.manifests, 'app.yaml'), join(f.root, 'app.yaml'));
  return f;
}

describe.skipIf(SMALL_FS_UNAVAILABLE !== undefined)(`state directory on a full or read-only filesystem${SMALL_FS_UNAVAILABLE === undefined ? '' : ` (skipped: ${SMALL_FS_UNAVAILABLE})`}`, () => {
  it('full: each apply fails with a clear report until a start fits; never a qvm without an identity, the running guest untouched', async () => {
    const f = await fleetWithSpareGuest();
    // With 0, 1, 2… pages left, each apply gets further into a start of `app`, until one fits.
    const run = await runInSmallFs({ root: f.root, stateDir: f.stateDir, manifests: f.manifests, script: `
step first qvmctl apply
cp "$ROOT/app.yaml" "$MANIFESTS/"
for k in 0 1 2 3 4 5 6 7 8; do
  fill_leaving $k
  step apply-$k qvmctl apply; rc=$?
  step files-$k files
  step qvm-$k qvm_of app
  [ $rc = 0 ] && break
done
unfill
` });
    expect(step(run.steps, 'first', run.output).rc, run.output).toBe(0);
    const full = step(run.steps, 'apply-0', run.output);
    expect(full.rc).toBe(1);
    expect(full.output).toContain(`qvmctl: state directory ${f.stateDir} is not usable: no space left on device (ENOSPC) while writing ${f.stateDir}/`);
    expect(full.output).toContain('; free space or choose another with --state-dir');
    let tries = 0;
    for (let k = 0; run.steps.has(`apply-${k}`); k++) {
      tries++;
      const apply = step(run.steps, `apply-${k}`, run.output);
      expect(apply.output).not.toMatch(STACK);
      expect(apply.output).not.toContain('unexpected error');
      if (apply.rc !== 0) expect(apply.output, `apply with ${k} pages left`).toMatch(/no space left on device \(ENOSPC\)/);
      const files = step(run.steps, `files-${k}`, run.output).output;
      expect(halfWritten(files), `apply with ${k} pages left`).toEqual([]);
      const qvm = step(run.steps, `qvm-${k}`, run.output).output.trim();
      if (qvm !== '') expect(files, `app runs (pid ${qvm}) after apply with ${k} pages left`).toContain('guests/app/identity.json');
    }
    expect(tries).toBeGreaterThan(2);
    const journal = await f.journal();
    onlyBootOf(journal, 'base');
    expect(journal.filter((l) => l.system === 'app' && l.event === 'boot').length).toBeLessThanOrEqual(1);
    expect(concurrentInstances(journal)).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });

  it('read-only: apply and the daemon report it, nothing is started or stopped; plan still reads', async () => {
    const f = await fleetWithSpareGuest();
    // Something to start (app) and something to stop (base, now desired stopped).
    await writeFile(join(f.root, 'base-stopped.yaml'), (await readFile(join(f.manifests, 'base.yaml'), 'utf8')).replace('state: running', 'state: stopped'));
    const run = await runInSmallFs({ root: f.root, stateDir: f.stateDir, manifests: f.manifests, script: `
step first qvmctl apply
cp "$ROOT/app.yaml" "$MANIFESTS/"
cp "$ROOT/base-stopped.yaml" "$MANIFESTS/base.yaml"
step before files
mount --rbind "$STATE" "$STATE" && mount -o remount,bind,ro "$STATE" || exit 91
step apply qvmctl apply
step plan qvmctl plan
step run timeout -s TERM 20 "$NODE" "$CLI" run -f "$MANIFESTS" --state-dir "$STATE"
step after files
` });
    expect(step(run.steps, 'first', run.output).rc, run.output).toBe(0);
    const hint = `qvmctl: state directory ${f.stateDir} is not usable: read-only file system (EROFS) while writing ${f.stateDir}/`;
    // plan only reads: it still answers, and changes nothing.
    const plan = step(run.steps, 'plan', run.output);
    expect(plan.rc, plan.output).toBe(0);
    expect(plan.output).toContain('Plan: 1 to start, 0 to restart, 1 to stop.');
    for (const name of ['apply', 'run']) {
      const s = step(run.steps, name, run.output);
      expect(s.rc, `${name}: ${s.output}`).toBe(1);
      expect(s.output).toContain(hint);
      expect(s.output).toContain('; remount it read-write or choose another with --state-dir');
      expect(s.output).not.toMatch(STACK);
    }
    // Nothing qvmctl keeps changed. base's console log is base's own output, written through the
    // descriptor its qvm was started with (the read-only remount does not stop it): base may still be
    // printing its boot lines when `before` is listed.
    const kept = (name: string): string => step(run.steps, name, run.output).output.split('\n').filter((l) => !l.endsWith('/console.log')).join('\n');
    expect(kept('after')).toBe(kept('before'));
    expect(kept('before')).toContain('guests/base/identity.json');
    const journal = await f.journal();
    onlyBootOf(journal, 'base');
    expect(journal.filter((l) => l.system === 'app')).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });
});
