// Console log rotation on the local adapter with real simulated guests (docs/runtime.md, "Console
// logs"): copy and truncate under a running qvm (its O_APPEND writes land at the new end), rename
// without one, the kept generations, readiness across a rotation (no line missed, none misread), and
// following a log across rotations.
import { appendFile, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readIdentity } from '../../src/runtime/state/identity.js';
import { createStateLayout } from '../../src/runtime/state/layout.js';
import { createHarness, guestSpec, type Harness } from '../helpers/runtime-harness.js';
import { waitFor } from '../helpers/wait-for.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const limits = { maxSizeBytes: 4096, keep: 2 };
const filler = (tag: string, bytes: number): string => `${`${tag} `.repeat(Math.ceil(bytes / (tag.length + 1))).slice(0, bytes - 1)}\n`;

describe('console log rotation', () => {
  it('copies and truncates the log of a running qvm, which goes on writing at the new end; the identity offset follows', { timeout: 30_000 }, async () => {
    const layout = createStateLayout(h.stateDir);
    const spec = guestSpec('chatty');
    const guest = await h.startRunning(spec);
    const log = layout.consoleLog('chatty');
    await waitFor(async () => (await readFile(log, 'utf8')).includes('login:'));
    await appendFile(log, filler('boot-noise', 5000));
    const before = (await stat(log)).size;

    expect(await h.runtime.rotateConsoleLogs({ running: [guest], stopped: [], limits: { ...limits, maxSizeBytes: before + 1 } })).toEqual([]);
    const rotated = await h.runtime.rotateConsoleLogs({ running: [guest], stopped: [], limits });
    expect(rotated).toEqual([{ name: 'chatty', bytes: before }]);
    expect((await readFile(`${log}.1`, 'utf8'))).toContain('login:');
    expect((await stat(log)).size).toBe(0);
    expect((await readIdentity(layout, 'chatty'))?.consoleOffset).toBe(-before);

    // qvm's own writes after the truncation: at offset 0, no hole of NUL bytes before them.
    await h.runtime.stop('chatty', spec.shutdown, guest);
    const after = await readFile(log, 'utf8');
    expect(after).toMatch(/^chatty: .*shutting down/);
    expect(after).not.toContain('\0');
  });

  it('renames the log of a guest that is not running and keeps only `keep` generations', async () => {
    const layout = createStateLayout(h.stateDir);
    const log = layout.consoleLog('quiet');
    await mkdir(layout.guestDir('quiet'), { recursive: true });
    await writeFile(`${log}.2`, 'oldest\n');
    await writeFile(`${log}.1`, 'older\n');
    await writeFile(log, filler('latest', 4096));
    expect(await h.runtime.rotateConsoleLogs({ running: [], stopped: ['quiet', 'absent'], limits })).toEqual([{ name: 'quiet', bytes: 4096 }]);
    await expect(stat(log)).rejects.toThrow(/ENOENT/);
    expect(await readFile(`${log}.1`, 'utf8')).toMatch(/^latest /);
    expect(await readFile(`${log}.2`, 'utf8')).toBe('older\n');
    await expect(stat(`${log}.3`)).rejects.toThrow(/ENOENT/);

    // keep: 0 keeps nothing.
    await writeFile(log, filler('again', 5000));
    await h.runtime.rotateConsoleLogs({ running: [], stopped: ['quiet'], limits: { maxSizeBytes: 4096, keep: 0 } });
    await expect(stat(log)).rejects.toThrow(/ENOENT/);
    await expect(stat(`${log}.1`)).rejects.toThrow(/ENOENT/);
  });

  it('readiness by a log line sees a line of this run that was rotated out, and never one of the run before', { timeout: 30_000 }, async () => {
    const layout = createStateLayout(h.stateDir);
    const log = layout.consoleLog('ready');
    await mkdir(layout.guestDir('ready'), { recursive: true });
    // The run before this one said OLD-RUN-READY: it must not count.
    await writeFile(log, 'OLD-RUN-READY\n');
    const spec = guestSpec('ready');
    const guest = await h.startRunning(spec);
    await waitFor(async () => (await readFile(log, 'utf8')).includes('login:'));
    await appendFile(log, filler('noise', 5000));
    expect((await h.runtime.rotateConsoleLogs({ running: [guest], stopped: [], limits })).map((r) => r.name)).toEqual(['ready']);
    const identity = await readIdentity(layout, 'ready');
    expect(identity?.consoleOffset).toBeLessThan(0);

    // A fresh qvmctl (nothing in memory) waits for the guest: the line is in console.log.1.
    const fresh = h.newRuntime();
    expect(await fresh.waitReady({ ...spec, readiness: { kind: 'log', pattern: 'login:', timeoutMs: 5_000 } }, guest)).toBe(true);
    expect(await fresh.waitReady({ ...spec, readiness: { kind: 'log', pattern: 'OLD-RUN-READY', timeoutMs: 300 } }, guest)).toBe(false);
    // And a line written after the rotation, in the current console.log.
    const waiting = fresh.waitReady({ ...spec, readiness: { kind: 'log', pattern: 'AFTER-ROTATION', timeoutMs: 10_000 } }, guest);
    await appendFile(log, 'AFTER-ROTATION\n');
    expect(await waiting).toBe(true);
  });

  it('follows a log across a copy-and-truncate and a rename, each byte once and in order', { timeout: 30_000 }, async () => {
    const layout = createStateLayout(h.stateDir);
    const log = layout.consoleLog('tailed');
    await mkdir(layout.guestDir('tailed'), { recursive: true });
    await writeFile(log, 'one\ntwo\nthree\n');
    let seen = '';
    const stop = new AbortController();
    const following = h.runtime.consoleLogs.follow('tailed', { tailLines: 2, onText: (t) => { seen += t; }, signal: stop.signal });
    await waitFor(() => seen === 'two\nthree\n');
    const big = filler('x', 4096);
    await appendFile(log, big);
    await waitFor(() => seen.endsWith(big));
    // The pass's rotation of a running guest (copy, truncate), with a guest observed as running.
    await appendFile(log, 'before-copy\n');
    const fake = { name: 'tailed', pid: 999_999_999, processStart: 'x', configHash: '', startedAt: 0, ready: true, stopping: false };
    await h.runtime.rotateConsoleLogs({ running: [fake], stopped: [], limits });
    await appendFile(log, 'after-truncate\n');
    await waitFor(() => seen.endsWith('after-truncate\n'));
    await appendFile(log, filler('y', 4096));
    // A rename (no qvm), then a new log.
    await h.runtime.rotateConsoleLogs({ running: [], stopped: ['tailed'], limits });
    await writeFile(log, 'new-file\n');
    await waitFor(() => seen.endsWith('new-file\n'), { timeoutMs: 10_000 });
    stop.abort();
    await following;
    expect(seen).toBe(`two\nthree\n${big}before-copy\nafter-truncate\n${filler('y', 4096)}new-file\n`);
    expect(await h.runtime.consoleLogs.read('tailed', { generation: 1 })).toBe(`after-truncate\n${filler('y', 4096)}`);
    expect(await h.runtime.consoleLogs.read('tailed', { generation: 0, tailLines: 1 })).toBe('new-file\n');
    expect(await h.runtime.consoleLogs.read('nobody', { generation: 0 })).toBeUndefined();
  });

  it('reads nothing and creates nothing for a state directory that does not exist', async () => {
    const missing = join(h.stateDir, 'not-there');
    const port = h.newRuntime({ stateDir: missing });
    expect(await port.consoleLogs.read('svc', { generation: 0 })).toBeUndefined();
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });
});
