// The watch that wakes a start or a stop when the monitor renames its PID file or exit record into
// place: real files in a temp directory, real inotify. The polls it wakes keep their deadlines.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchForFiles } from '../../src/runtime/file-wake.js';
import { pollUntil } from '../../src/runtime/poll.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('file wake', () => {
  let dir: string;
  beforeEach(async () => { dir = await makeTempDir('file-wake'); });
  afterEach(async () => { await removeDir(dir); });

  it('resolves for a file renamed into the directory, the way the monitor writes its records', async () => {
    const target = join(dir, 'run-1.exit.json');
    const wake = watchForFiles(dir, [join(dir, 'run-1.pid'), target]);
    try {
      await writeFile(join(dir, 'console.log'), 'noise\n');
      await writeFile(`${target}.tmp`, '{}\n');
      await rename(`${target}.tmp`, target);
      await wake.seen(target);
    } finally {
      wake.close();
    }
  });

  it('ends a poll at once instead of at its next interval', async () => {
    const target = join(dir, 'run-1.pid');
    const wake = watchForFiles(dir, [target]);
    let checks = 0;
    try {
      // An interval far beyond the test's own timeout: only the wake can end this poll in time.
      const polling = pollUntil(() => {
        checks += 1;
        return Promise.resolve(checks > 1);
      }, { timeoutMs: 600_000, intervalMs: 300_000, wake: wake.seen(target) });
      await writeFile(target, '42\n');
      expect(await polling).toBe(true);
      expect(checks).toBe(2);
    } finally {
      wake.close();
    }
  });

  it('is only a hint: a directory that cannot be watched leaves the poll to its own checks', async () => {
    const missing = join(dir, 'no-such-guest');
    const wake = watchForFiles(missing, [join(missing, 'run-1.pid')]);
    let checks = 0;
    const done = await pollUntil(() => Promise.resolve((checks += 1) >= 3), { timeoutMs: 60_000, intervalMs: 1, wake: wake.seen(join(missing, 'run-1.pid')) });
    wake.close();
    expect(done).toBe(true);
    expect(checks).toBe(3);
  });
});
