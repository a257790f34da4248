// The ssh adapter trusts the host's state directory as the local one does (docs/remote.md):
// trust_sd runs in mksh with toybox on the target before any script reads or
// writes the state directory, and a refusal changes nothing there.
import { chmod, chown, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteFleet, type RemoteFleet } from '../helpers/remote-fleet.js';
import { startSshTarget, type SshTarget } from '../helpers/ssh-target.js';
import { snapshotTree as snapshot } from '../helpers/temp-dir.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let target: SshTarget;
const fleets: RemoteFleet[] = [];

beforeAll(async () => {
  if (asRoot) target = await startSshTarget({ os: 'qnx' });
}, 60_000);

afterAll(async () => {
  for (const f of fleets) await f.cleanup();
  if (asRoot) await target.stop();
});


describe.skipIf(!asRoot)('a state directory on an ssh host is trusted like ~/.ssh', () => {
  it('refuses one owned by nobody with mode 0777, and one below a world-writable parent, changing nothing; accepts it once fixed', async () => {
    const fleet = await remoteFleet(target);
    fleets.push(fleet);
    const sd = fleet.stateDir;
    await mkdir(join(sd, 'guests'), { recursive: true });
    await writeFile(join(sd, 'monitor.sh'), '#!/bin/sh\necho replaced by nobody\n', { mode: 0o755 });
    await chown(sd, NOBODY, NOBODY);
    await chmod(sd, 0o777);
    const before = await snapshot(sd);
    for (const args of [['apply'], ['plan'], ['status'], ['shutdown', '--dry-run']]) {
      const r = await fleet.cli(args);
      const what = `${args.join(' ')}: ${r.stderr}`;
      expect(r.exitCode, what).toBe(1);
      expect(r.stderr, what).toMatch(new RegExp(`qvmctl: state directory ${sd} on ssh://\\S+ is not trusted: ${sd} is owned by uid ${NOBODY}, not by the login user \\(uid 0\\) and is writable by group or others \\(drwxrwxrwx\\); run \`chown root ${sd} && chmod 700 ${sd}\``));
      expect(r.stderr, what).not.toMatch(/\n\s+at /);
      expect(await snapshot(sd), what).toEqual(before);
    }
    expect(await fleet.qvmPids()).toEqual(new Map());
    await chown(sd, 0, 0);
    await chmod(sd, 0o700);
    const planned = await fleet.cli(['plan', '--detailed-exitcode']);
    expect(planned.exitCode, planned.stderr).toBe(2);

    const shared = join(target.dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const below = await remoteFleet(target, { stateDir: join(shared, 'state') });
    fleets.push(below);
    const r = await below.cli(['apply']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`is not trusted: ${shared} (above the state directory) is writable by group or others without the sticky bit (drwxrwxrwx); run \`chown root ${shared} && chmod go-w ${shared}\``);
    expect(await readdir(shared)).toEqual([]);
    expect(await below.qvmPids()).toEqual(new Map());

    // A path whose every directory as written is fine, but which resolves, through a link, below
    // the world-writable directory.
    const real = join(shared, 'real');
    await mkdir(real, { mode: 0o755 });
    const linked = join(target.dir, 'linked');
    await symlink(real, linked);
    const through = await remoteFleet(target, { stateDir: join(linked, 'state') });
    fleets.push(through);
    const t = await through.cli(['apply']);
    expect(t.exitCode, t.stderr).toBe(1);
    expect(t.stderr).toContain(`is not trusted: ${shared} (above the state directory) is writable by group or others without the sticky bit (drwxrwxrwx)`);
    expect(await readdir(real)).toEqual([]);
  });
});
