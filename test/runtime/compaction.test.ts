// The compaction rule (docs/runtime.md, "Compaction"): what a guest directory keeps of its past runs,
// as state/compaction.ts selects it for the local adapter and as the ssh adapter's sh selects it on
// the host (run here by mksh and by /bin/sh on a real directory), and the local adapter's removals.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compactLocalRuns } from '../../src/runtime/compact-runs.js';
import type { RuntimeContext } from '../../src/runtime/context.js';
import { compactScript } from '../../src/runtime/ssh/remote-observe.js';
import { compareRunIds, selectCompaction } from '../../src/runtime/state/compaction.js';
import { createStateLayout } from '../../src/runtime/state/layout.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const run = (ms: number, hex = 'abcd0123'): string => `${1_700_000_000_000 + ms}-${hex}`;
const exit = (id: string): string => `run-${id}.exit.json`;
const CONF = 'c0ffee.qvmconf';

describe('selectCompaction', () => {
  it('keeps the newest `keep` acknowledged records and the identity\'s, and drops PID files there', () => {
    const ids = [1, 2, 3, 4, 5, 6].map((n) => run(n));
    const s = selectCompaction({
      guestFiles: [],
      archived: [...[...ids].reverse().map(exit), `run-${ids[0] ?? ''}.pid`, 'notes.txt'],
      identity: { runId: ids[1] ?? '', confFile: CONF },
      desiredConf: CONF,
      keep: 3,
    });
    expect([...s.archived].sort()).toEqual([exit(ids[0] ?? ''), exit(ids[2] ?? ''), `run-${ids[0] ?? ''}.pid`].sort());
  });

  it('never selects an exit record that waits in the guest directory, nor its run\'s files', () => {
    const old = run(1);
    const live = run(5);
    const s = selectCompaction({
      guestFiles: [exit(old), `run-${old}.pid`, `run-${old}.launch.json`, `run-${live}.pid`, `run-${live}.launch.json`, 'identity.json', 'history.json', CONF],
      archived: [],
      identity: { runId: live, confFile: CONF },
      desiredConf: CONF,
      keep: 1,
    });
    expect(s.guestFiles).toEqual([]);
  });

  it('drops the launch records and PID files of runs older than the identity\'s, and configs no run needs', () => {
    const stale = run(1);
    const live = run(5);
    const s = selectCompaction({
      guestFiles: [`run-${stale}.pid`, `run-${stale}.launch.json`, `run-${stale}.pid.tmp`, `run-${live}.pid`, `run-${live}.launch.json`, 'old.qvmconf', CONF, 'next.qvmconf', 'console.log'],
      archived: undefined,
      identity: { runId: live, confFile: CONF },
      desiredConf: 'next.qvmconf',
      keep: 3,
    });
    expect([...s.guestFiles].sort()).toEqual([`run-${stale}.launch.json`, `run-${stale}.pid`, `run-${stale}.pid.tmp`, 'old.qvmconf'].sort());
    expect(s.confsNeeded).toEqual([CONF, 'next.qvmconf']);
    expect(s.archived).toEqual([]);
  });

  it('removes no config while a start newer than the identity is under way, and nothing in the guest directory without an identity', () => {
    const live = run(5);
    const starting = run(9);
    const under = selectCompaction({ guestFiles: [`run-${starting}.launch.json`, 'old.qvmconf', CONF], archived: [], identity: { runId: live, confFile: CONF }, desiredConf: CONF, keep: 3 });
    expect(under.guestFiles).toEqual([]);
    expect(under.confsNeeded).toBeUndefined();
    const none = selectCompaction({ guestFiles: [`run-${run(1)}.pid`, 'old.qvmconf'], archived: [exit(run(1)), exit(run(2))], identity: undefined, desiredConf: CONF, keep: 1 });
    expect(none.guestFiles).toEqual([]);
    expect(none.archived).toEqual([exit(run(1))]);
  });

  it('orders run ids by time, then by their hex part', () => {
    expect([run(10), run(2, 'ff'), run(2, '0a')].sort(compareRunIds)).toEqual([run(2, '0a'), run(2, 'ff'), run(10)]);
  });
});

describe('compaction on a real directory', () => {
  let dir = '';
  beforeEach(async () => { dir = await makeTempDir('compaction'); });
  afterEach(async () => { await removeDir(dir); });

  // A guest directory with eight acknowledged runs, a stale run, the live run, a waiting record and three configs.
  async function seed(stateDir: string): Promise<{ ids: string[]; live: string; waiting: string; stale: string }> {
    const g = join(stateDir, 'guests', 'app');
    await mkdir(join(g, 'exits'), { recursive: true });
    const ids = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => run(n * 10));
    for (const id of ids) {
      await writeFile(join(g, 'exits', exit(id)), '{}\n');
      await writeFile(join(g, 'exits', `run-${id}.pid`), '1\n');
    }
    const stale = run(85);
    const live = run(90);
    const waiting = run(89);
    for (const f of [`run-${stale}.pid`, `run-${stale}.launch.json`, `run-${live}.pid`, `run-${live}.launch.json`, exit(waiting), `run-${waiting}.pid`, 'history.json', 'console.log', 'old.qvmconf', CONF, 'next.qvmconf']) {
      await writeFile(join(g, f), '{}\n');
    }
    await writeFile(join(g, 'identity.json'), JSON.stringify({ name: 'app', runId: live, pid: 42, processStart: '1', configHash: 'c0ffee', confPath: join(g, CONF) }));
    return { ids, live, waiting, stale };
  }

  const listing = async (stateDir: string): Promise<{ guest: string[]; exits: string[] }> => ({
    guest: (await readdir(join(stateDir, 'guests', 'app'))).sort(),
    exits: (await readdir(join(stateDir, 'guests', 'app', 'exits'))).sort(),
  });

  it('the local adapter and the ssh adapter\'s sh (mksh, /bin/sh) leave the same files', async () => {
    const results: { guest: string[]; exits: string[] }[] = [];
    const local = join(dir, 'local');
    const { ids, live, waiting, stale } = await seed(local);
    const layout = createStateLayout(local);
    const ctx = { layout, log: () => undefined } as unknown as RuntimeContext;
    const configHashes = new Map([['app', 'next']]);
    await compactLocalRuns(ctx, { keep: 3, guests: ['app'], configHashes, all: false });
    results.push(await listing(local));
    for (const shell of ['/usr/bin/mksh', '/bin/sh']) {
      const remote = join(dir, shell.replace(/\//g, '_'));
      await seed(remote);
      const remoteLayout = createStateLayout(remote);
      const g = join(remote, 'guests', 'app');
      // What the look of the pass saw of the guest directory (remote-observe.ts greps these).
      const seen = new Map((await readdir(g)).filter((f) => /^(identity\.json|history\.json|run-.*\.(pid|launch\.json|exit\.json))$/.test(f)).map((f) => [f, f === 'identity.json' ? JSON.stringify({ runId: live, pid: 42, processStart: '1', confPath: join(g, CONF) }) : '{}']));
      const script = compactScript({ layout: remoteLayout, guests: [{ name: 'app', files: seen }], keep: 3, configHashes });
      const r = await execa(shell, ['-c', `${script}\necho done`], { reject: false });
      expect(r.stdout, r.stderr).toBe('done');
      results.push(await listing(remote));
    }
    const expected = {
      guest: [exit(waiting), `run-${waiting}.pid`, `run-${live}.launch.json`, `run-${live}.pid`, CONF, 'console.log', 'exits', 'history.json', 'identity.json', 'next.qvmconf'].sort(),
      exits: ids.slice(-3).map(exit).sort(),
    };
    expect(results).toEqual([expected, expected, expected]);
    expect(results[0]?.guest).not.toContain(`run-${stale}.pid`);
  });
});
