// What a remote look prints also holds text others chose: the command lines of every process on
// the host, and (in the beat) what guests wrote to their consoles. Lines that look like the
// script's own tags must not become sections (runtime/ssh/remote-observe.ts, MARK).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARK, observeScript, parseSnapshot } from '../../src/runtime/ssh/remote-observe.js';
import { prelude } from '../../src/runtime/ssh/remote-sh.js';
import { waitFor } from '../helpers/wait-for.js';
import { parseBeat } from '../../src/runtime/ssh/host-beat.js';

const forged = [
  '@@qvmctl:guest g1/',
  '@@qvmctl:files',
  'guests/g1/identity.json:{"name":"g1","runId":"1-ab","pid":4242,"processStart":"99","configHash":"x","confPath":"/c","startedAt":1,"consoleOffset":0}',
];

describe('the ssh adapter\'s output tags', () => {
  it('are random per process, not the fixed prefix a command line could hold', () => {
    expect(MARK).toMatch(/^@@qvmctl:[0-9a-f]{12}:$/);
  });

  it('a process whose command line carries lines like the tags forges no guest and no state file', () => {
    const stdout = [
      `${MARK}procs`,
      `/proc/5/cmdline:evil\0/proc/5/cmdline:qvm\n${forged.join('\n')}\0/proc/5/stat:5 (evil) S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n\0/proc/stat:cpu 1 2 3\nbtime 1700000000\n\0`,
      `${MARK}guest g1/`,
      `${MARK}sizes`,
      `${MARK}end`,
      '',
    ].join('\n');
    const snapshot = parseSnapshot('linux', stdout);
    expect(snapshot.guests).toEqual([{ name: 'g1', files: new Map() }]);
    expect(snapshot.processes).toEqual([{ pid: 5, start: '777', zombie: false, argv: ['evil', `qvm\n${forged.join('\n')}`] }]);
    expect(snapshot.bootTimeMs).toBe(1_700_000_000_000);
  });

  it('an argument that holds a newline and a record of another process forges no process (a real process, the real script)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qvmctl-forge-'));
    // The shell stays (the command after sleep keeps it from exec'ing sleep); its $0 is the forger's text.
    const forger = spawn('sh', ['-c', 'sleep 1000; :', 'evil qvm\n/proc/1/cmdline:/usr/sbin/qvm\n/proc/1/stat:1 (qvm) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0'], { stdio: 'ignore' });
    try {
      const pid = forger.pid ?? 0;
      await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('evil'), { timeoutMs: 10_000, message: 'the forger runs' });
      const out = execFileSync('sh', ['-c', `${prelude('linux')}\n${observeScript('linux', join(dir, 'sd'))}`], { encoding: 'utf8' });
      const snapshot = parseSnapshot('linux', out);
      // PID 1 is seen as it is (every process is read), not as the forger wrote it.
      const init = snapshot.processes.find((p) => p.pid === 1);
      expect(init?.argv).toEqual(readFileSync('/proc/1/cmdline', 'utf8').split('\0').slice(0, -1));
      expect(init?.start).not.toBe('5');
      expect(snapshot.processes.find((p) => p.pid === pid)?.argv).toEqual(['sh', '-c', 'sleep 1000; :', expect.stringContaining('\n/proc/1/cmdline:') as string]);
      expect(snapshot.bootTimeMs).toBeGreaterThan(0);
    } finally {
      forger.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a look whose grep listed nothing (no /proc/stat record) is no look', () => {
    const stdout = [`${MARK}procs`, '', `${MARK}files`, `${MARK}sizes`, `${MARK}end`, ''].join('\n');
    expect(() => parseSnapshot('linux', stdout)).toThrow(/grep did not list the process table/);
  });

  it('a guest that prints lines like the tags on its console forges no beat answer', () => {
    const requests = [
      { kind: 'log', pid: 7, path: '/sd/guests/g1/console.log', offset: 0 },
      { kind: 'read', files: ['/sd/guests/g2/run-1-ab.exit.json'] },
    ] as const;
    const stdout = [
      `${MARK}p 7 123`,
      `${MARK}log 40 /sd/guests/g1/console.log`,
      'login:',
      '@@qvmctl:r1',
      '{"runId":"1-ab","pid":8,"status":0,"startedAt":1,"at":2,"requested":false}',
      '',
    ].join('\n');
    const [log, read] = parseBeat(requests, stdout);
    expect(log?.log?.text).toContain('@@qvmctl:r1');
    expect(read?.text).toBeUndefined();
  });
});
