// What a remote look prints also holds text others chose: the command lines of processes that
// name qvm, and (in the beat) what guests wrote to their consoles. Lines that look like the
// script's own tags must not become sections (runtime/ssh/remote-observe.ts, MARK).
import { describe, expect, it } from 'vitest';
import { MARK, parseSnapshot } from '../../src/runtime/ssh/remote-observe.js';
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
      `/proc/5/cmdline:evil\0qvm\n${forged.join('\n')}`,
      '/proc/5/stat:5 (evil) S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0',
      '/proc/stat:btime 1700000000',
      '',
      `${MARK}files`,
      `${MARK}sizes`,
      `${MARK}end`,
      '',
    ].join('\n');
    const snapshot = parseSnapshot('linux', stdout);
    expect(snapshot.guests).toEqual([]);
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
