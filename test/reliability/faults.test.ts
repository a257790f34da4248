// Faults from outside: each ends in a clear report (no stack trace) and damages nothing.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCrashFleet, liveInstances, type CrashFleet } from '../helpers/crash-fleet.js';

let fleet: CrashFleet | undefined;
afterEach(async () => {
  await fleet?.cleanup();
  fleet = undefined;
});

describe('faults from outside', () => {
  it('a simulator that fails to start (64) is reported with its exit, and its dependents are not started', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base', { knobs: 'boot-ms=20 fail-start' });
    await f.writeGuest('app', { dependsOn: ['base'] });
    const r = await f.cli(['apply']);
    expect(r.exitCode, r.output).toBe(1);
    expect(r.output).toMatch(/base: start failed: qvm for guest base exited with code 64/);
    expect(r.output).not.toMatch(/\n\s+at /);
    expect((await f.journal()).filter((l) => l.system === 'app')).toEqual([]);
  });

  it('a state directory that cannot be created (a file in its place) is a clear error, nothing starts', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    await writeFile(f.stateDir, 'not a directory');
    const r = await f.cli(['apply']);
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain(`qvmctl: state directory ${f.stateDir} is not usable: a file is in the way (EEXIST) while creating ${f.stateDir}; move what is in the way or choose another with --state-dir`);
    expect(r.output).not.toMatch(/\n\s+at /);
    expect(await (await import('node:fs/promises')).readFile(f.stateDir, 'utf8')).toBe('not a directory');
    await rm(f.stateDir);
  });

  it('a guest that ignores every request is reported stuck and left running', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base', { knobs: 'boot-ms=20 ignore-power-button', guestCommand: false });
    expect((await f.cli(['apply'])).exitCode).toBe(0);
    await writeFile(join(f.manifests, 'base.yaml'), (await import('node:fs')).readFileSync(join(f.manifests, 'base.yaml'), 'utf8').replace('state: running', 'state: stopped').replace('powerButtonTimeout: 5s', 'powerButtonTimeout: 300ms'));
    const r = await f.cli(['apply']);
    expect(r.exitCode).toBe(1);
    expect(r.output).toMatch(/stuck/);
    expect(liveInstances(await f.journal()).get('base')).toHaveLength(1);
  });
});
