// The ssh adapter's look (runtime/ssh/remote-observe.ts), run by a real shell against a real state
// directory: on Linux one grep reads every process and the state files; the console logs' sizes
// come from the trust check's ls; a file's text arrives as it was written.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observeScript, observeTrust, parseSnapshot } from '../../src/runtime/ssh/remote-observe.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';
import { waitFor } from '../helpers/wait-for.js';

const SHELL = ['/usr/bin/mksh', '/bin/mksh'].find((p) => existsSync(p)) ?? 'sh';

let dir: string;
let sd: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qvmctl-look-'));
  sd = join(dir, 'sd');
});
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const look = (): ReturnType<typeof parseSnapshot> => {
  const script = `${prelude('linux')}\n${observeScript('linux', sd, observeTrust(sd))}`;
  return parseSnapshot('linux', execFileSync(SHELL, ['-c', script], { encoding: 'utf8' }));
};

describe('a look at a Linux host over ssh', () => {
  it('reads the state files as written, the fence, the orphans and the console logs\' sizes', () => {
    const history = '{\n  "runs": [\n    1,\n    2\n  ]\n}\n';
    mkdirSync(join(sd, 'guests', 'g1', 'exits'), { recursive: true });
    mkdirSync(join(sd, 'guests', 'g2'), { recursive: true });
    chmodSync(sd, 0o700);
    writeFileSync(join(sd, 'guests', 'g1', 'history.json'), history);
    writeFileSync(join(sd, 'guests', 'g1', 'stop-request'), '4242');
    writeFileSync(join(sd, 'guests', 'g1', 'run-1-ab.pid'), '4242\n');
    writeFileSync(join(sd, 'guests', 'g1', 'console.log'), 'x'.repeat(123));
    writeFileSync(join(sd, 'guests', 'g2', 'console.log'), '');
    writeFileSync(join(sd, 'fence.json'), '{"since":5,"reason":"host-shutdown"}\n');
    writeFileSync(join(sd, 'orphans.json'), '{"old":7}\n');

    const snapshot = look();
    const g1 = snapshot.guests.find((g) => g.name === 'g1')?.files;
    expect(g1?.get('history.json')).toBe(history.replace(/\n$/, ''));
    expect(g1?.get('stop-request')).toBe('4242');
    expect(g1?.get('run-1-ab.pid')).toBe('4242');
    expect(snapshot.guests.find((g) => g.name === 'g2')?.files.size).toBe(0);
    expect(snapshot.fence).toEqual({ since: 5, reason: 'host-shutdown' });
    expect([...snapshot.orphans]).toEqual([['old', 7]]);
    expect(Object.fromEntries(snapshot.consoleSizes ?? [])).toEqual({ g1: 123, g2: 0 });
    expect(snapshot.stateDirMissing).toBe(false);
  });

  it('an empty fence file is a fence (unreadable, so up); a missing state directory says so', () => {
    mkdirSync(join(sd, 'guests'), { recursive: true });
    chmodSync(sd, 0o700);
    writeFileSync(join(sd, 'fence.json'), '');
    expect(look().fence).toBeDefined();
    rmSync(sd, { recursive: true });
    const missing = look();
    expect(missing.stateDirMissing).toBe(true);
    expect(missing.fence).toBeUndefined();
    expect(missing.guests).toEqual([]);
  });

  it('sees a process whose command line does not say qvm (a qvm binary may have any name)', async () => {
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      const pid = other.pid ?? 0;
      await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'), { timeoutMs: 10_000, message: 'sleep runs' });
      expect(look().processes.find((p) => p.pid === pid)?.argv).toEqual(['sleep', '1000']);
    } finally {
      other.kill('SIGTERM');
    }
  });
});
