// The ssh adapter's beat (runtime/ssh/host-beat.ts), run by a real shell: a ladder's first signal
// rides on the beat that writes its stop request, and is sent only once the request is written.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beatScript, parseBeat, type BeatRequest } from '../../src/runtime/ssh/host-beat.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';
import { waitFor } from '../helpers/wait-for.js';

const SHELL = ['/usr/bin/mksh', '/bin/mksh'].find((p) => existsSync(p)) ?? 'sh';

let dir: string;
let sd: string;
let child: ChildProcess;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qvmctl-beat-'));
  sd = join(dir, 'sd');
  mkdirSync(join(sd, 'guests'), { recursive: true });
  chmodSync(sd, 0o700);
  child = spawn('sleep', ['1000'], { stdio: 'ignore' });
});
afterEach(() => {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const beat = (requests: readonly BeatRequest[]): ReturnType<typeof parseBeat> =>
  parseBeat(requests, execFileSync(SHELL, ['-c', `${prelude('linux')}\n${beatScript(requests, sd)}`], { encoding: 'utf8' }));

const startOf = async (pid: number): Promise<string> =>
  waitFor(() => beat([{ kind: 'alive', pid }])[0]?.start, { timeoutMs: 10_000, message: 'the process runs' });

describe('a signal with its stop request, in one beat', () => {
  it('writes the request, then sends the signal', async () => {
    const pid = child.pid ?? 0;
    const start = await startOf(pid);
    const guest = join(sd, 'guests', 'g1');
    const gone = new Promise((resolve) => { child.once('exit', (_code, signal) => { resolve(signal); }); });
    const [answer] = beat([{ kind: 'signal', pid, processStart: start, signal: 'TERM', mark: { dir: guest, file: 'stop-request', line: String(pid) } }]);
    expect(answer).toEqual({ sent: true });
    expect(readFileSync(join(guest, 'stop-request'), 'utf8')).toBe(`${pid}\n`);
    expect(await gone).toBe('SIGTERM');
  });

  it('sends nothing when the request cannot be written, and says so', async () => {
    const pid = child.pid ?? 0;
    const start = await startOf(pid);
    // The guest's directory is a file: neither mkdir nor the write can succeed.
    writeFileSync(join(sd, 'guests', 'g1'), '');
    const [answer] = beat([{ kind: 'signal', pid, processStart: start, signal: 'TERM', mark: { dir: join(sd, 'guests', 'g1'), file: 'stop-request', line: String(pid) } }]);
    expect(answer?.sent).toBe(false);
    expect(answer?.failed).toBe('failed');
    expect(beat([{ kind: 'alive', pid }])[0]?.start).toBe(start);
  });

  it('writes the request but sends nothing to a process that no longer has that start time', async () => {
    const pid = child.pid ?? 0;
    await startOf(pid);
    const guest = join(sd, 'guests', 'g1');
    const [answer] = beat([{ kind: 'signal', pid, processStart: '1', signal: 'TERM', mark: { dir: guest, file: 'stop-request', line: String(pid) } }]);
    expect(answer).toEqual({ sent: false });
    expect(beat([{ kind: 'alive', pid }])[0]?.start).toBeDefined();
  });
});
