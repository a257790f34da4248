import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followLog, type LogFollower } from '../../src/runtime/log-follower.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

let root = '';
const dir = (): string => root;
let follower: LogFollower | undefined;
beforeEach(async () => {
  root = await makeTempDir('follow');
});
afterEach(async () => {
  await follower?.close();
  follower = undefined;
  await removeDir(root);
});

describe('followLog', () => {
  it('returns complete lines appended after the offset, holding back a partial line', { timeout: 10_000 }, async () => {
    const path = join(dir(), 'console.log');
    await writeFile(path, 'old run\n');
    follower = followLog({ path, offset: 'old run\n'.length, rereadMs: 60_000 });
    expect(await follower.next()).toEqual([]);
    await appendFile(path, 'booting\nlog');
    await follower.waitForChange(60_000);
    expect(await follower.next()).toEqual(['booting']);
    await appendFile(path, 'in:\n');
    await follower.waitForChange(60_000);
    expect(await follower.next()).toEqual(['login:']);
  });

  it('wakes a waiter as soon as the file grows, without waiting for its interval', { timeout: 10_000 }, async () => {
    const path = join(dir(), 'console.log');
    await writeFile(path, '');
    follower = followLog({ path, offset: 0, rereadMs: 60_000 });
    await follower.next();
    const woken = follower.waitForChange(120_000);
    await appendFile(path, 'login:\n');
    await woken; // with no change event this would wait 120 s and the test would time out
    expect(await follower.next()).toEqual(['login:']);
  });

  it('reads a file that appears after it started following', async () => {
    const path = join(dir(), 'late.log');
    follower = followLog({ path, offset: 0, rereadMs: 0 });
    expect(await follower.next()).toEqual([]);
    await writeFile(path, 'ready\n');
    expect(await follower.next()).toEqual(['ready']);
  });
});
